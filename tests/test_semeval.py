"""Reading the SemEval-2025 Task 10 layout from ../shared (skipped when absent)."""

from narratives.io import read_semeval


def test_read_semeval_train(semeval_dir):
    ld = read_semeval(semeval_dir / "train")
    assert len(ld.frame) == 399 and not ld.rejects
    tax = ld.taxonomy
    assert tax.none_label == "Other"
    for frames in ld.frame["frames"]:
        for f in frames:
            assert f == "Other" or f in tax.fine_labels
    # the label list next to the folder adds labels unseen in training
    assert len(tax.fine_labels) >= 90
