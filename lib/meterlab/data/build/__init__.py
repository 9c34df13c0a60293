"""data.build"""
