"""``seg new``: a commented starting point for a segment definition."""

from __future__ import annotations

import argparse
import sys

from .language.nodes import condition_kinds
from .language.vocabulary import NAME_PATTERN

TEMPLATES = {
    "starter": """segment: {name}
description: Say in one sentence who is in this segment.
owner: your-team
tags: []
# A condition is one node, of one kind: {kinds}.
# The whole language, with an example of each: docs/language.md
condition:
  all:
    # a profile attribute (a column of raw.profiles) with one operator
    - attribute: country
      in: [ES, MX]
    # behaviour: did it at least once in a window (add count/sum/avg/min/max/count_distinct)
    - event: purchase
      during: {{last: 90d}}
    # "did not": count equals 0, or wrap any condition in not
    - not:
        event: email_click
        during: {{last: 30d}}
""",
    "attribute": """segment: {name}
description: Gold and platinum members.
condition:
  attribute: loyalty_tier
  in: [gold, platinum]
""",
    "behaviour": """segment: {name}
description: Spent 300 or more on shoes in the last 90 days.
condition:
  event: purchase
  where: {{property: category, equals: shoes}}
  during: {{last: 90d}}
  sum: {{of: revenue, gte: 300}}
""",
    "sequence": """segment: {name}
description: Added to cart in the last 7 days and did not buy within a day.
condition:
  sequence:
    during: {{last: 7d}}
    steps:
      - event: add_to_cart
    then_not:
      event: purchase
      within: 24h
""",
}


def starter_text(template: str, name: str) -> str:
    """A template's text for a segment name; the starter lists every condition kind.

    >>> "propensity" in starter_text("starter", "vip")
    True
    """
    return TEMPLATES[template].format(name=name, kinds=", ".join(condition_kinds()))


def cmd_new(args: argparse.Namespace) -> int:
    if not NAME_PATTERN.match(args.name):
        print(
            f"seg new: '{args.name}' is not a segment name: lowercase letters, digits and _, "
            "starting with a letter",
            file=sys.stderr,
        )
        return 2
    path = args.project_dir / "segments" / f"{args.name}.yml"
    if path.exists():
        print(f"seg new: {path.relative_to(args.project_dir)} already exists", file=sys.stderr)
        return 1
    path.write_text(starter_text(args.template, args.name), encoding="utf-8")
    print(
        f"wrote {path.relative_to(args.project_dir)}: edit it, then scripts/seg validate and "
        "scripts/seg generate"
    )
    return 0
