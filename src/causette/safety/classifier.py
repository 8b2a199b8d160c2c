"""An optional machine-learning stage: a scikit-learn model trained on labelled JSONL.

It is never required (no model can be downloaded here; the rules stand on their own). When an
operator trains one (`causette safety train DATA.jsonl --out model.joblib`) and configures it, it
runs off the hot path and only opens moderation cases for what the rules missed: a model is slower
(hundreds of µs) and less explainable than the lexicons.

Only load model files you made: joblib files are pickles and can run code when loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from causette.safety.normalise import normalise

THRESHOLD = 0.5


class ClassifierError(Exception):
    pass


class Classifier:
    def __init__(self, pipeline: Any, labels: list[str], threshold: float = THRESHOLD) -> None:
        self._pipeline = pipeline
        self.labels = labels
        self.threshold = threshold

    @classmethod
    def train(cls, items: Iterable[Mapping[str, Any]]) -> Classifier:
        try:
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.linear_model import LogisticRegression
            from sklearn.multiclass import OneVsRestClassifier
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import MultiLabelBinarizer
        except ImportError as exc:
            raise ClassifierError("scikit-learn is not installed: pip install 'causette[ml]'") from exc
        rows = list(items)
        texts = [normalise(str(r.get("text", ""))).words for r in rows]
        targets = [list(r.get("labels") or []) for r in rows]
        binarizer = MultiLabelBinarizer()
        y = binarizer.fit_transform(targets)
        if y.shape[1] == 0:
            raise ClassifierError("the training data has no labels")
        # Character n-grams on the normalised text resist the spelling games the lexicons also fold.
        pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=1, sublinear_tf=True),
            OneVsRestClassifier(LogisticRegression(max_iter=2000, class_weight="balanced")),
        )
        pipeline.fit(texts, y)
        return cls(pipeline, [str(c) for c in binarizer.classes_])

    def predict(self, text: str) -> dict[str, float]:
        probs = list(self._pipeline.predict_proba([normalise(text).words])[0])
        if len(self.labels) == 1 and len(probs) == 2:
            probs = probs[1:]  # one label is a binary problem: (absent, present)
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}

    def labels_of(self, text: str) -> list[str]:
        return sorted(label for label, p in self.predict(text).items() if p >= self.threshold)

    def save(self, path: str) -> None:
        import joblib

        joblib.dump(
            {"format": 1, "pipeline": self._pipeline, "labels": self.labels, "threshold": self.threshold},
            path,
        )

    @classmethod
    def load(cls, path: str) -> Classifier:
        import joblib

        if not Path(path).is_file():
            raise ClassifierError(f"no model file at {path}")
        data = joblib.load(path)
        if not isinstance(data, dict) or data.get("format") != 1:
            raise ClassifierError(f"{path} is not a Causette safety model")
        return cls(data["pipeline"], list(data["labels"]), float(data["threshold"]))
