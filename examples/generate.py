#!/usr/bin/env python3
"""Generate the repository's example data: examples/reference.csv and examples/current.csv.

A churn-model feature table: the training reference (5000 rows) and one day of production
traffic (5000 rows), 20 columns (12 numeric, 8 categorical). Eight columns really drift
between the two files, the other twelve are drawn from the same distribution in both:

    column                 kind         current vs reference
    income                 numeric      mean shift (lognormal mu +0.25)
    sessions_last_7d       numeric      mean shift (Poisson 4.2 -> 5.4)
    avg_session_minutes    numeric      scale change (gamma scale 6 -> 9)
    discount_rate          numeric      shift (Beta(2, 8) -> Beta(3, 7))
    monthly_spend          numeric      scale change (sd 18 -> 30, same mean)
    plan                   categorical  proportion change (premium/enterprise grow)
    payment_method         categorical  new category "google_pay" (12% of current)
    browser                categorical  proportion change (safari grows)

Missing cells are empty CSV cells (income, avg_session_minutes, days_since_last_login,
device, signup_source); credit_score also has a few literal "NA" cells. Numbers carry at most
4 decimals. Seeded (numpy default_rng), so reruns give byte-identical files.

Run: python examples/generate.py   (numpy and pandas; /work/.venv-ref/bin/python works)
"""

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
N_ROWS = 5000
SEED_REFERENCE = 20240601
SEED_CURRENT = 20240602

COLUMNS = [
    "age", "income", "tenure_months", "sessions_last_7d", "avg_session_minutes",
    "discount_rate", "credit_score", "num_support_tickets", "is_premium", "monthly_spend",
    "days_since_last_login", "page_views_30d",
    "plan", "country", "device", "payment_method", "channel", "region", "browser", "signup_source",
]

COUNTRIES = ["US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "CA", "AU", "BR"]
COUNTRY_P = [0.30, 0.12, 0.11, 0.09, 0.06, 0.06, 0.05, 0.04, 0.04, 0.05, 0.04, 0.04]


def pick(rng, values, n, p):
    p = np.asarray(p, dtype=float)
    return list(rng.choice(np.asarray(values, dtype=object), size=n, p=p / p.sum()))


def with_missing(rng, values, share):
    """Blank out `share` of the cells (None -> empty CSV cell)."""
    values = list(values)
    for i in rng.choice(len(values), size=int(round(share * len(values))), replace=False):
        values[i] = None
    return values


def fmt(v, decimals=4):
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    r = round(float(v), decimals)
    if r == int(r) and abs(r) < 1e15:
        return str(int(r))  # 12.0 -> "12"
    return repr(r)


def generate(seed, drift):
    rng = np.random.default_rng(seed)
    n = N_ROWS
    cols = {}

    # ---- numeric --------------------------------------------------------------------------
    cols["age"] = np.clip(np.round(rng.normal(41.0, 12.0, n)), 18, 90).astype(int)
    cols["income"] = with_missing(
        rng, np.round(rng.lognormal(10.8 + (0.25 if drift else 0.0), 0.55, n), 2), 0.02)
    cols["tenure_months"] = np.clip(np.round(rng.exponential(28.0, n)), 0, 120).astype(int)
    cols["sessions_last_7d"] = rng.poisson(5.4 if drift else 4.2, n)
    cols["avg_session_minutes"] = with_missing(
        rng, np.round(rng.gamma(2.0, 9.0 if drift else 6.0, n), 2), 0.04)
    cols["discount_rate"] = np.round(rng.beta(3.0, 7.0, n) if drift else rng.beta(2.0, 8.0, n), 4)
    credit = [int(v) for v in np.clip(np.round(rng.normal(680.0, 60.0, n)), 300, 850)]
    for i in rng.choice(n, size=12, replace=False):
        credit[i] = "NA"
    cols["credit_score"] = credit
    cols["num_support_tickets"] = np.minimum(rng.poisson(0.8, n), 4)
    cols["is_premium"] = (rng.random(n) < 0.22).astype(int)
    cols["monthly_spend"] = np.round(np.clip(rng.normal(64.0, 30.0 if drift else 18.0, n), 0.0, None), 2)
    cols["days_since_last_login"] = with_missing(rng, np.round(rng.exponential(8.0, n), 1), 0.06)
    cols["page_views_30d"] = rng.negative_binomial(3, 0.08, n)

    # ---- categorical ----------------------------------------------------------------------
    cols["plan"] = pick(rng, ["basic", "standard", "premium", "enterprise"], n,
                        [0.30, 0.30, 0.28, 0.12] if drift else [0.45, 0.30, 0.20, 0.05])
    cols["country"] = pick(rng, COUNTRIES, n, COUNTRY_P)
    cols["device"] = with_missing(rng, pick(rng, ["mobile", "desktop", "tablet"], n, [0.55, 0.35, 0.10]), 0.03)
    if drift:
        cols["payment_method"] = pick(rng, ["card", "paypal", "bank_transfer", "apple_pay", "google_pay"], n,
                                      [0.44, 0.20, 0.13, 0.11, 0.12])
    else:
        cols["payment_method"] = pick(rng, ["card", "paypal", "bank_transfer", "apple_pay"], n,
                                      [0.50, 0.22, 0.15, 0.13])
    cols["channel"] = pick(rng, ["organic", "paid_search", "social", "email", "referral"], n,
                           [0.35, 0.25, 0.18, 0.12, 0.10])
    cols["region"] = pick(rng, ["north", "south", "east", "west"], n, [0.27, 0.23, 0.24, 0.26])
    cols["browser"] = pick(rng, ["chrome", "safari", "firefox", "edge", "other"], n,
                           [0.45, 0.35, 0.08, 0.08, 0.04] if drift else [0.60, 0.20, 0.10, 0.07, 0.03])
    cols["signup_source"] = with_missing(
        rng, pick(rng, ["web", "ios_app", "android_app", "partner"], n, [0.45, 0.22, 0.25, 0.08]), 0.05)

    assert list(cols) == COLUMNS
    return [[fmt(cols[c][i]) for c in COLUMNS] for i in range(n)]


def write(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(COLUMNS)
        w.writerows(rows)


def main():
    write(HERE / "reference.csv", generate(SEED_REFERENCE, drift=False))
    write(HERE / "current.csv", generate(SEED_CURRENT, drift=True))
    print(f"wrote {HERE / 'reference.csv'} and {HERE / 'current.csv'} ({N_ROWS} rows each, {len(COLUMNS)} columns)")


if __name__ == "__main__":
    main()
