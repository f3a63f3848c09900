"""TF-IDF character n-grams for the "wide" half of the triage network.

Short Chinese complaints are often decided by a few characters ("退款", "态度", "太贵"):
a linear layer over character 1–3-grams learns those directly and reliably, while the
transformer learns what needs context. The featurizer is fitted once at training time
and saved beside the weights, so inference computes exactly the same features.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import torch

NGRAM_FILE = "ngrams.json"


def char_ngrams(text: str, max_n: int = 3) -> Counter[str]:
    grams: Counter[str] = Counter()
    for n in range(1, max_n + 1):
        for start in range(len(text) - n + 1):
            gram = text[start : start + n]
            if not gram.isspace():
                grams[gram] += 1
    return grams


class NgramFeaturizer:
    """Sublinear-TF × IDF weights of known n-grams, L2-normalised per text."""

    def __init__(self, vocabulary: dict[str, int], idf: Sequence[float], max_n: int = 3) -> None:
        self.vocabulary = vocabulary
        self.idf = list(idf)
        self.max_n = max_n

    @classmethod
    def fit(cls, texts: Sequence[str], max_features: int = 60000, min_df: int = 2, max_n: int = 3) -> NgramFeaturizer:
        document_frequency: Counter[str] = Counter()
        for text in texts:
            document_frequency.update(char_ngrams(text, max_n).keys())
        kept = [g for g, df in document_frequency.most_common() if df >= min_df][:max_features]
        total = len(texts)
        vocabulary = {gram: index for index, gram in enumerate(kept)}
        idf = [math.log((1 + total) / (1 + document_frequency[g])) + 1.0 for g in kept]
        return cls(vocabulary, idf, max_n)

    def __len__(self) -> int:
        return len(self.vocabulary)

    def transform(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(indices, weights, offsets) for nn.EmbeddingBag with per-sample weights."""
        indices: list[int] = []
        weights: list[float] = []
        offsets: list[int] = []
        for text in texts:
            offsets.append(len(indices))
            row = [(self.vocabulary[g], (1 + math.log(c)) * self.idf[self.vocabulary[g]])
                   for g, c in char_ngrams(text, self.max_n).items() if g in self.vocabulary]
            norm = math.sqrt(sum(w * w for _, w in row)) or 1.0
            for index, weight in row:
                indices.append(index)
                weights.append(weight / norm)
        return (torch.tensor(indices, dtype=torch.long), torch.tensor(weights, dtype=torch.float32),
                torch.tensor(offsets, dtype=torch.long))

    def save(self, directory: Path) -> None:
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        payload = {"max_n": self.max_n, "ngrams": ordered, "idf": [round(x, 5) for x in self.idf]}
        (directory / NGRAM_FILE).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> NgramFeaturizer | None:
        path = directory / NGRAM_FILE
        if not path.is_file():
            return None
        payload = json.loads(path.read_text(encoding="utf-8"))
        return cls({g: i for i, g in enumerate(payload["ngrams"])}, payload["idf"], payload["max_n"])
