"""Grafana building blocks for deploy/grafana/dashboards.py: the layout on
Grafana's 24-column grid, panels (time series, stat, bar gauge), template
variables, and `scoped`, which puts one deployment's matchers on every
selector of a query. Standard library only."""

from __future__ import annotations

import re

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
RATE = "$__rate_interval"
# Money is in the ledger's currency (ledger.currency), major units; the unit
# is Grafana's currency unit, set when the board is written (see render).
MONEY_UNIT = "@MONEY_UNIT@"
MONEY = {"unit": MONEY_UNIT, "decimals": 2}
# Grafana's built-in currency units; any other currency is shown as a suffix.
GRAFANA_CURRENCIES = {"EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "BRL", "INR", "ZAR", "JPY"}
# The series of one deployment: every query selects them.
DEPLOYMENT_MATCHERS = 'namespace=~"$namespace", job=~"$job"'
SELECTOR = re.compile(r"\b((?:antirelou_[a-z_]+)|up|process_[a-z_]+)\b(?:\{([^}]*)\})?")


def scoped(expr: str) -> str:
    """Adds this deployment's matchers to every selector of `expr`."""
    def add(m: re.Match) -> str:
        inner = m.group(2)
        return f"{m.group(1)}{{{DEPLOYMENT_MATCHERS}{', ' + inner if inner else ''}}}"
    return SELECTOR.sub(add, expr)


def money_unit(currency: str) -> str:
    return f"currency{currency}" if currency in GRAFANA_CURRENCIES else f"suffix: {currency}"


class Layout:
    """Places panels left to right on Grafana's 24-column grid."""

    def __init__(self) -> None:
        self.panels: list[dict] = []
        self.x = 0
        self.y = 0
        self.row_height = 0
        self.next_id = 1

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def row(self, title: str) -> None:
        if self.x:
            self.y += self.row_height
        self.panels.append(
            {
                "type": "row",
                "id": self._id(),
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
                "panels": [],
            }
        )
        self.x, self.row_height = 0, 0
        self.y += 1

    def add(self, panel: dict, w: int, h: int = 8) -> None:
        if self.x + w > 24:
            self.x = 0
            self.y += self.row_height
            self.row_height = 0
        panel["id"] = self._id()
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.panels.append(panel)
        self.x += w
        self.row_height = max(self.row_height, h)


def targets(*queries: tuple[str, str]) -> list[dict]:
    return [
        {
            "datasource": DATASOURCE,
            "expr": scoped(expr),
            "legendFormat": legend,
            "refId": chr(ord("A") + i),
        }
        for i, (expr, legend) in enumerate(queries)
    ]


def timeseries(
    title: str,
    description: str,
    *queries: tuple[str, str],
    unit: str = "short",
    decimals: int | None = None,
    stack: bool = False,
    min_zero: bool = True,
) -> dict:
    defaults: dict = {
        "unit": unit,
        "custom": {
            "drawStyle": "line",
            "lineWidth": 1,
            "fillOpacity": 20 if stack else 10,
            "showPoints": "never",
            "stacking": {"mode": "normal" if stack else "none", "group": "A"},
        },
    }
    if min_zero:
        defaults["min"] = 0
    if decimals is not None:
        defaults["decimals"] = decimals
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets(*queries),
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "legend": {"displayMode": "table", "placement": "right", "showLegend": True,
                       "calcs": ["lastNotNull", "max"]},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    }


def stat(
    title: str,
    description: str,
    *queries: tuple[str, str],
    unit: str = "short",
    decimals: int | None = None,
    thresholds: list[tuple[float | None, str]] | None = None,
) -> dict:
    steps = [{"color": color, "value": value} for value, color in (thresholds or [(None, "green")])]
    defaults: dict = {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}}
    if decimals is not None:
        defaults["decimals"] = decimals
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets(*queries),
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "textMode": "auto",
        },
    }


def bargauge(
    title: str,
    description: str,
    *queries: tuple[str, str],
    unit: str = "short",
    decimals: int | None = None,
    max_value: float | None = None,
    thresholds: list[tuple[float | None, str]] | None = None,
) -> dict:
    steps = [{"color": color, "value": value} for value, color in (thresholds or [(None, "blue")])]
    defaults: dict = {"unit": unit, "min": 0, "thresholds": {"mode": "absolute", "steps": steps}}
    if max_value is not None:
        defaults["max"] = max_value
    if decimals is not None:
        defaults["decimals"] = decimals
    return {
        "type": "bargauge",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": [dict(t, instant=True) for t in targets(*queries)],
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "displayMode": "gradient",
            "orientation": "horizontal",
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "showUnfilled": True,
        },
    }


def datasource_variable() -> dict:
    return {
        "type": "datasource",
        "name": "datasource",
        "label": "Data source",
        "query": "prometheus",
        "current": {},
        "hide": 0,
        "refresh": 1,
        "regex": "",
        "options": [],
    }


def deployment_variables() -> list[dict]:
    """namespace and job of the antirelou release to show. The chart sets
    their defaults to its own release (placeholders, see render)."""
    namespace = query_variable("namespace", "Namespace", "label_values(antirelou_build_info, namespace)", multi=True)
    job = query_variable("job", "Job", 'label_values(antirelou_build_info{namespace=~"$namespace"}, job)', multi=True)
    namespace["current"] = {"selected": True, "text": "@NAMESPACE@", "value": "@NAMESPACE@"}
    job["current"] = {"selected": True, "text": "@JOB@", "value": "@JOB@"}
    return [namespace, job]


def query_variable(name: str, label: str, query: str, *, multi: bool) -> dict:
    return {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": DATASOURCE,
        "definition": query,
        "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "refresh": 2,
        "sort": 1,
        "multi": multi,
        "includeAll": multi,
        "allValue": ".*" if multi else None,
        "current": {},
        "hide": 0,
        "options": [],
        "regex": "",
    }


def dashboard(uid: str, title: str, description: str, layout: Layout, variables: list[dict],
              links: list[dict]) -> dict:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["antirelou"],
        "timezone": "",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "annotations": {"list": []},
        "links": links,
        "templating": {"list": variables},
        "panels": layout.panels,
    }


def spent_share(selector: str) -> str:
    """1 - remaining / cap per tenant, number and scope; caps of 0 (none) are left out."""
    f = "{" + selector + "}" if selector else ""
    return (
        f"1 - min by (tenant, number, scope) (antirelou_budget_remaining{f})"
        f" / max by (tenant, number, scope) (antirelou_budget_cap{f} > 0)"
    )


CAP_THRESHOLDS = [(None, "green"), (0.8, "orange"), (1, "red")]
CAP_THRESHOLDS = [(None, "green"), (0.8, "orange"), (1, "red")]

