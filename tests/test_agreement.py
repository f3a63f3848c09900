from __future__ import annotations

import pytest

from eval.agreement import agreement, cohen_kappa, quadratic_kappa


def test_kappa_is_one_for_perfect_and_zero_for_chance_agreement() -> None:
    assert cohen_kappa(["a", "b", "a", "b"], ["a", "b", "a", "b"]) == 1.0
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "b", "a", "b"]) == pytest.approx(0.0)
    assert quadratic_kappa([0, 1, 2, 3], [0, 1, 2, 3], 4) == 1.0
    assert quadratic_kappa([0, 0, 3, 3], [0, 1, 3, 3], 4) > quadratic_kappa([0, 0, 3, 3], [3, 1, 3, 0], 4)


def test_the_shipped_relabel_matches_the_gold_texts() -> None:
    report = agreement()
    assert report["items"] == 100
    assert 0 <= report["topic"]["kappa"] <= 1 and 0 <= report["anger"]["kappa"] <= 1
