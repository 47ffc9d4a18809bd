"""``prometheus_alert``: one of the user's own alerts, followed through Prometheus and
Alertmanager to the notification.

    detect:
      - name: page
        type: prometheus_alert
        alert: ShopErrorBudgetBurn       # defined by a file of observe.prometheus.rule_files
        labels: {severity: page}         # optional: only instances carrying these

Every ``every`` seconds, on its own thread, the detector reads Prometheus's
``/api/v1/rules`` and the notifications chaos's webhook receiver has taken
(``chaos.lab.observability.stack``). It records, on the trial's clock:

``alert_pending``
    the instant the rule turned pending: Prometheus's own ``activeAt``;
``alert_firing``
    the rule evaluation that turned it firing: the first evaluation tick of its
    group at or after ``activeAt + for`` (ticks are found from the rule's
    ``lastEvaluation`` and the group's interval, so a late poll does not move it);
``alert_notified``
    the arrival of Alertmanager's notification at the receiver (the receiver
    stamps it when the request comes in); the payload's ``startsAt`` is kept
    beside it as Prometheus's own view of when the alert fired, and the route it
    took with that route's ``group_wait`` (:mod:`chaos.lab.observability.amtool`: Alertmanager's
    own routing of the notified labels, through the receiver that delivered it);
    its ``page`` field is the notification as a pager shows it (``chaos.live``);
``alert_resolved``
    a resolved notification: alerting's view of the recovery.

The detector fires at ``alert_notified``: its TTD is the page's arrival. When
Prometheus, Alertmanager (``/-/ready``) or the receiver stop answering for
``blind_after`` seconds it records ``alert_blind`` (from the first unanswered read)
and ``alert_sighted`` once they answer again; the trial goes on. Scrape targets
that Prometheus reports down (``up == 0``) are recorded once each as
``scrape_target_down``.

The package is the whole part, one concern a module:

=================  ===========================================================
``detector``       the registered class: parameters, thread, the part's hooks
``states``         pending → firing → notified → resolved
``blindspans``     when the stack stops answering
``expression``     the rule's expression read back (``query_range``)
``promql``         what of an expression can be drawn, against which threshold
``times``          evaluation ticks
``page``           a notification as a pager shows it
``alertrecord``    its section of the run record (``AlertRecord``), the TTD split
``alerttext``      its paragraph of the post-mortem
``chart``          alert.png
``sentences``      its events in sentences, and the lessons its page teaches
=================  ===========================================================

Prometheus's and Alertmanager's HTTP APIs are read through ``chaos.measure.promapi``.
"""

from chaos.detect.promalert.detector import PrometheusAlert, PrometheusAlertParams
from chaos.detect.promalert.page import page_of
from chaos.detect.promalert.promql import chart_parts, split_threshold
from chaos.detect.promalert.times import first_tick_at_or_after
from chaos.measure.promapi import wall_of

__all__ = ["PrometheusAlert", "PrometheusAlertParams", "chart_parts", "first_tick_at_or_after",
           "page_of", "split_threshold", "wall_of"]
