"""The template's options as data: every value each can take, and which combinations are refused.

The combination matrix in test_combinations.py is computed from this table, so a new option is
one new row here (and its files in post_gen_project.OPTION_FILES).
"""

import itertools

from allpairspy import AllPairs

OPTIONS = {
    "license": ["MIT", "BSD-3-Clause", "Apache-2.0", "GPL-3.0-or-later", "Proprietary"],
    "python_min": ["3.11", "3.12", "3.13", "3.14"],
    "use_docker": [True, False],
    "use_kubernetes": [False, True],
    "ci": ["github", "gitlab", "none"],
    "use_metrics": [True, False],
    "auth": ["none", "jwt"],
    "use_http_client": [False, True],
    "use_cors": [False, True],
    "use_rate_limits": [False, True],
    "use_openapi": [True, False],
    "database": ["none", "sqlalchemy"],
}

# Every Python a render supports, oldest first: from its python_min up to the newest.
PYTHONS = ["3.11", "3.12", "3.13", "3.14", "3.15"]

# The value that switches each boolean or choice option fully on and fully off.
ALL_ON = {"use_docker": True, "use_kubernetes": True, "ci": "github", "use_metrics": True,
          "auth": "jwt", "use_http_client": True, "use_cors": True, "use_rate_limits": True,
          "use_openapi": True, "database": "sqlalchemy"}
ALL_OFF = {"use_docker": False, "use_kubernetes": False, "ci": "none", "use_metrics": False,
           "auth": "none", "use_http_client": False, "use_cors": False, "use_rate_limits": False,
           "use_openapi": False, "database": "none"}

# (answers that pre-gen must refuse together, part of the message it gives)
UNSUPPORTED = [
    ({"use_kubernetes": True, "use_docker": False}, "use_kubernetes needs use_docker"),
]


def supported_pythons(python_min):
    return PYTHONS[PYTHONS.index(python_min):]


def unsupported_reason(combo):
    for answers, message in UNSUPPORTED:
        if all(name in combo and combo[name] == value for name, value in answers.items()):
            return message
    return None


def pairwise():
    names = list(OPTIONS)
    if len(names) < 2:
        return [dict(zip(names, values)) for values in itertools.product(*OPTIONS.values())]

    def allowed(row):
        return unsupported_reason(dict(zip(names, row))) is None

    return [dict(zip(names, row)) for row in AllPairs(list(OPTIONS.values()), filter_func=allowed)]


def uncovered_pairs(combos):
    names = list(OPTIONS)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            for a, b in itertools.product(OPTIONS[first], OPTIONS[second]):
                pair = {first: a, second: b}
                if unsupported_reason(pair) is None and not any(
                        combo[first] == a and combo[second] == b for combo in combos):
                    yield pair


def completed(combos):
    """allpairspy may miss a pair when a filter rules rows out: add a row for each one missed."""
    defaults = {name: values[0] for name, values in OPTIONS.items()}
    for pair in list(uncovered_pairs(combos)):
        for base in (defaults, {**defaults, **ALL_ON}, {**defaults, **ALL_OFF}):
            row = {**base, **pair}
            if unsupported_reason(row) is None:
                combos.append(row)
                break
    return combos


def supported_combinations():
    """Every value at least once, every pair of values, all on and all off; no duplicates."""
    first = {name: values[0] for name, values in OPTIONS.items()}
    candidates = pairwise() + [{**first, **ALL_ON}, {**first, **ALL_OFF}]
    unique = []
    for combo in candidates:
        if combo not in unique and unsupported_reason(combo) is None:
            unique.append(combo)
    return completed(unique)


def combination_id(combo):
    return "-".join(f"{name}={value}" for name, value in combo.items())
