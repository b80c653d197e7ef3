"""The classifier's measured accuracy, from its model card and metrics files (the same
figures `socialbot report` prints), its agreement with the brand's own labels (the
figures `socialbot accuracy` prints), and which model versions made the stored predictions."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from socialbot.config import Config
from socialbot.labels.accuracy import card_figures, card_folder, measure
from socialbot.report.model_card import read_accuracy
from socialbot.report.own_accuracy import agreement_sections
from socialbot.store.labels import current_labels
from socialbot.store.predictions import PREDICTIONS
from socialbot.web.rendering import render


def model(request: Request) -> Response:
    config: Config = request.app.state.config
    # the global model's own card, else the shipped one (a watch's own is in its report)
    accuracy = read_accuracy(config.classifier_folder(None))
    with request.app.state.store.reading() as conn:
        # per watch too: each watch may be classified by a model of its own
        versions = conn.execute(
            select(PREDICTIONS.c.watch, PREDICTIONS.c.model_version, func.count())
            .group_by(PREDICTIONS.c.watch, PREDICTIONS.c.model_version)
            .order_by(func.count().desc()).limit(20)
        ).all()
        groups = measure(current_labels(conn))
    card = card_figures(card_folder(config))
    return render(request, "model.html", accuracy=accuracy, versions=versions,
                  own=agreement_sections(groups, card), card=card)


ROUTES = [Route("/model", model)]
