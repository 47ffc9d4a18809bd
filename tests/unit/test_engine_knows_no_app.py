"""The engine knows no application: nothing in chaos/ names the sample shop's
tables, columns, paths or fields. The shop is configured in its own scenarios,
like any user's system; it lives in chaos/sample/ only so that it ships with the
package (``chaos example``), and that directory is the one place that knows it."""

from __future__ import annotations

import re
from pathlib import Path

CHAOS = Path(__file__).resolve().parents[2] / "chaos"

# The shop's schema (compose/db/init), its endpoints (compose/app/app.py) and its load.
SHOP_NAMES = ["products", "orders", "price_cents", "client_ref", "products_pkey", "product_id",
              "/health", "/stats", "Shopper"]
# Engine files that exist to build the sample lab's image; they name its directory only.
SAMPLE_LAB_BUILDERS = {"lab/images/labset.py", "lab/feature.py"}
SAMPLE = CHAOS / "sample"


def test_the_shop_is_named_nowhere_in_the_engine():
    files = [p for p in CHAOS.rglob("*")
             if p.is_file() and p.suffix in (".py", ".j2", ".html", ".sh")
             and not p.is_relative_to(SAMPLE)]
    assert len(files) > 50
    hits = []
    for path in files:
        rel = path.relative_to(CHAOS).as_posix()
        text = path.read_text(encoding="utf-8")
        for name in SHOP_NAMES:
            pattern = re.escape(name) if name.startswith("/") else rf"\b{re.escape(name)}\b"
            for m in re.finditer(pattern, text):
                line = text.count("\n", 0, m.start()) + 1
                hits.append(f"chaos/{rel}:{line}: {name}")
    assert hits == [], "\n".join(hits)


def test_the_sample_is_the_shop():
    # the exclusion above is not hiding the engine: the sample really names the shop
    text = (SAMPLE / "compose" / "locustfile.py").read_text()
    assert "/products/" in text and "write_ref" in text


def test_the_sample_lab_builders_name_only_its_directory():
    for rel in SAMPLE_LAB_BUILDERS:
        text = (CHAOS / rel).read_text(encoding="utf-8")
        assert "sample" in text           # they do build/locate the sample lab...
        for name in SHOP_NAMES:           # ...without knowing what is inside it
            assert name not in text, (rel, name)
