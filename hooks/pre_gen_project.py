"""Validate the answers before anything is written; one line on stderr and exit 1 when wrong."""

import json
import keyword
import re
import sys
import unicodedata

ANSWERS = json.loads(r'''{{ cookiecutter | tojson }}''')

# Distributions a generated service imports; a package of the same name would shadow them.
RESERVED_PACKAGES = frozenset({
    "blinker", "click", "coverage", "dotenv", "flask", "gunicorn", "itsdangerous", "jinja2",
    "markupsafe", "packaging", "pip", "pluggy", "prometheus_client", "pytest", "pytest_cov",
    "pythonjsonlogger", "setuptools", "tests", "tomli", "werkzeug", "wheel",
    # modules of the generated tests
    "conftest", "contract", "jwt_tokens",
    # imported by options
    "cryptography", "flask_cors", "jwt", "requests", "urllib3",
    "deprecated", "flask_limiter", "limits", "ordered_set", "redis", "wrapt",
    "alembic", "flask_migrate", "flask_sqlalchemy", "jsonschema", "openapi_spec_validator",
    "referencing",
    "psycopg", "sqlalchemy", "yaml",
})
DISTRIBUTION_NAME = re.compile(r"[a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9]", re.IGNORECASE)
EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
# PEP 440 public versions in normalised form: 1.0, 2.1.0rc1, 1!2.0.post1.dev3
NUMBER = r"(0|[1-9][0-9]*)"
VERSION = re.compile(
    rf"({NUMBER}!)?{NUMBER}(\.{NUMBER})*((a|b|rc){NUMBER})?(\.post{NUMBER})?(\.dev{NUMBER})?"
)
# Soft keywords of every supported Python, whichever interpreter runs this hook.
SOFT_KEYWORDS = frozenset({"_", "case", "match", "type"})
TEXT_FIELDS = {"project_name": 100, "description": 300, "author_name": 100}
# Control characters, line breaks, surrogates and unassigned code points break one-line
# strings in TOML, YAML and Python; bidirectional overrides disguise source code.
UNWANTED_CATEGORIES = frozenset({"Cc", "Cs", "Cn", "Zl", "Zp"})
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def unwanted_character(value):
    return next((c for c in value if unicodedata.category(c) in UNWANTED_CATEGORIES
                 or c in BIDI_CONTROLS), None)


def text_problem(field, value, limit):
    if not value.strip():
        return f"{field} is empty: give it a value, e.g. {field}='My Service'"
    bad = unwanted_character(value)
    if bad is not None:
        return (f"{field} contains U+{ord(bad):04X}: use one line of printable text, "
                "without line breaks or control characters")
    if len(value) > limit:
        return f"{field} is {len(value)} characters long: keep it to {limit} at most"
    return None


def slug_problem(slug):
    if not DISTRIBUTION_NAME.fullmatch(slug):
        return (f"project_slug {slug!r} is not a valid distribution name: use letters, digits, "
                f"'-', '_' or '.', starting and ending with a letter or digit, e.g. 'my-service'")
    return None


def package_problem(package, slug):
    fix = f"choose another project_slug, e.g. '{slug}-service'"
    if not package.isidentifier() or not package.isascii():
        return f"package name {package!r} (from project_slug) is not a Python identifier: " + (
            "start the slug with a letter, e.g. 'service-" + slug + "'")
    if keyword.iskeyword(package) or package in SOFT_KEYWORDS:
        return f"package name {package!r} is a Python keyword: {fix}"
    if package in sys.stdlib_module_names:
        return f"package name {package!r} shadows the standard-library module: {fix}"
    if package in RESERVED_PACKAGES:
        return f"package name {package!r} shadows a package the service imports: {fix}"
    return None


def options_problem(answers):
    if answers.get("use_kubernetes") and not answers.get("use_docker"):
        return ("use_kubernetes needs use_docker: the manifests in deploy/ run the image the "
                "Dockerfile builds; answer use_docker=yes or use_kubernetes=no")
    return None


def first_problem(answers):
    for field, limit in TEXT_FIELDS.items():
        problem = text_problem(field, answers[field], limit)
        if problem:
            return problem
    checks = (
        lambda: slug_problem(answers["project_slug"]),
        lambda: package_problem(answers["__package"], answers["project_slug"]),
        lambda: None if EMAIL.fullmatch(answers["author_email"]) else (
            f"author_email {answers['author_email']!r} is not an email address: "
            "use the form name@example.com"),
        lambda: None if VERSION.fullmatch(answers["version"]) else (
            f"version {answers['version']!r} is not a normalised PEP 440 version: "
            "use e.g. 0.1.0, 1.0.0rc1 or 2.0.0.dev1"),
        lambda: options_problem(answers),
    )
    for check in checks:
        problem = check()
        if problem:
            return problem
    return None


def main(answers):
    problem = first_problem(answers)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(ANSWERS))
