"""thirdparty"""
