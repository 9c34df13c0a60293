"""Class priors: what the arbiter's outputs assume about how common each meter is, and
the re-weighting to the prior a user's music has.

The arbiter is trained with inverse-frequency class weights (times ``boost_rare``), so
its softmax estimates p(class | x) under an *effective training prior* proportional to
count(class) x weight(class): uniform without boost, whatever the class counts of the
training data. Bayes' rule moves that posterior to any other prior:

    p(class | x)  ∝  p_model(class | x) · prior(class) / training_prior(class)

A uniform prior over a uniform training prior leaves the outputs unchanged.

Default: ``meter2800``, METER2800's published class shares (3 and 4 at about 43% each,
5 and 7 at about 7%). Real collections are dominated by 3 and 4, and an arbiter that
takes 5 and 7 to be as common as 3 and 4 calls plain 3/4 and 4/4 music 5 or 7 whenever
the evidence is weak; METER2800 is the published benchmark with these classes, so its
shares are a documented number rather than a guess, and less extreme than most
collections (where 5 and 7 are rarer still), so strong evidence still wins. eval prints
the result under ``uniform`` beside it: the right prior for a test set with equal classes.
"""
from dataclasses import dataclass

import numpy as np

from .. import config

UNIFORM = "uniform"
METER2800 = "meter2800"
DEFAULT_PRIOR = METER2800
NAMED_PRIORS = {UNIFORM: None, METER2800: config.METER2800_TEST_COUNTS}
HELP = (f"class prior applied to the arbiter's outputs: {UNIFORM}, {METER2800} (METER2800's "
        "class shares: 3 and 4 about 43%% each, 5 and 7 about 7%%), or per class, e.g. "
        f"3:0.4,4:0.5,5:0.05,7:0.05. Default {DEFAULT_PRIOR}: real music is mostly 3 and 4, "
        "and an arbiter trained on equally common classes calls weakly metred 3/4 and 4/4 "
        f"music 5 or 7; {UNIFORM} where the arbiter has classes {METER2800} does not give. "
        f"eval also reports the result under {UNIFORM}")


class PriorError(ValueError):
    """A prior that cannot be parsed or does not cover the classes it is applied to."""


@dataclass(frozen=True)
class Prior:
    """A named or per-class prior; ``weights`` is ``None`` for uniform."""

    name: str
    weights: dict = None

    def covers(self, classes):
        return self.weights is None or all(meter in self.weights for meter in classes)

    def shares(self, classes):
        """Shares over ``classes`` (summing to 1); weights of other meters are ignored."""
        if self.weights is None:
            return np.full(len(classes), 1.0 / len(classes))
        missing = [meter for meter in classes if meter not in self.weights]
        if missing:
            raise PriorError(f"prior {self.name} gives no share for class "
                             f"{', '.join(map(str, missing))} (classes: "
                             f"{', '.join(map(str, classes))})")
        shares = np.array([self.weights[meter] for meter in classes], dtype=np.float64)
        if shares.sum() <= 0:
            raise PriorError(f"prior {self.name} gives every class share 0")
        return shares / shares.sum()

    def describe(self, classes):
        """``"meter2800 (3: 43%, 4: 43%, 5: 7%, 7: 7%)"``."""
        shares = ", ".join(f"{meter}: {share:.0%}"
                           for meter, share in zip(classes, self.shares(classes)))
        return f"{self.name} ({shares})"


def parse_prior(text):
    """``"uniform"``, ``"meter2800"`` or ``"3:0.4,4:0.5,5:0.05,7:0.05"`` -> :class:`Prior`."""
    text = text.strip()
    if text in NAMED_PRIORS:
        return Prior(text, NAMED_PRIORS[text])
    weights = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        meter, colon, weight = item.partition(":")
        try:
            weights[int(meter)] = float(weight)
        except ValueError:
            colon = ""
        if not colon:
            raise PriorError(f"prior {text!r}: expected {UNIFORM}, {METER2800} or "
                             f"meter:weight pairs such as 3:0.4,4:0.5 (bad item {item!r})")
        if not weights[int(meter)] >= 0:
            raise PriorError(f"prior {text!r}: weight of {meter} must be >= 0")
    if not weights:
        raise PriorError("empty prior")
    return Prior(text, weights)


def choose_prior(text, classes):
    """The prior given by ``text`` for ``classes``, checked; ``None`` means the default,
    which falls back to uniform for classes METER2800 does not have (2, 6, 9, ...)."""
    if text is None:
        prior = parse_prior(DEFAULT_PRIOR)
        if not prior.covers(classes):
            prior = parse_prior(UNIFORM)
    else:
        prior = parse_prior(text)
    prior.shares(classes)
    return prior


def training_prior(labels, weights, n_classes):
    """The prior a classifier trained with per-class loss ``weights`` estimates its
    posterior under: count x weight, normalised."""
    mass = np.bincount(labels, minlength=n_classes) * np.asarray(weights, dtype=np.float64)
    return mass / mass.sum()


def reweight(probabilities, trained_under, prior):
    """Rows of class probabilities moved from the prior ``trained_under`` to ``prior``
    (both arrays over the same classes). A class with no training mass stays at 0; rows of
    NaN (files that could not be analysed) stay NaN."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    trained_under = np.asarray(trained_under, dtype=np.float64)
    ratio = np.divide(prior, trained_under, out=np.zeros_like(trained_under),
                      where=trained_under > 0)
    weighted = probabilities * ratio
    totals = weighted.sum(axis=1, keepdims=True)
    return np.divide(weighted, totals, out=np.full_like(weighted, np.nan), where=totals > 0)
