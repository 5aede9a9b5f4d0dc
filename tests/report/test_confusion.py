"""The confusion matrix as an HTML heatmap table (the fallback when a run has no confusion.png)."""

from toonlab.report.confusion import DENSE_CLASSES, confusion_table


def test_confusion_heatmap_from_csv_rows():
    rows = [["true\\pred", "cat", "<dog>"], ["cat", "3", "1"], ["<dog>", "0", "4"]]
    html = confusion_table(rows, "pets")
    assert html.count("<td") == 4 and "<caption>pets</caption>" in html and "&lt;dog&gt;" in html
    assert ">3</td>" in html and ">4</td>" in html and "rgb(8,48,107)" in html  # 4 of 4: darkest blue
    assert confusion_table([["true\\pred", "a"], ["a", "x"]], "bad") is None
    assert confusion_table([["true\\pred", "a", "b"], ["a", "1", "2"]], "not square") is None


def test_many_classes_become_dots_without_text():
    k = DENSE_CLASSES + 1
    names = [f"c{i}" for i in range(k)]
    rows = [["true\\pred", *names]] + [[n, *("1" if i == j else "0" for j in range(k))] for i, n in enumerate(names)]
    html = confusion_table(rows, "hair")
    assert 'class="confusion dense"' in html and html.count("<td") == k * k and ">1</td>" not in html
