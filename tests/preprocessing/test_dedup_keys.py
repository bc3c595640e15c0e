from narratives.preprocessing import exact_key, near_duplicate_groups


def test_exact_key_ignores_case_spacing_punctuation():
    assert exact_key("Hello,   World!") == exact_key("hello world")
    assert exact_key("hello world") != exact_key("hello there world")


def test_near_duplicates_cluster_together():
    base = (
        "The foreign ministry said on Tuesday that talks on the border commission would resume next "
        "month in Baku, after a pause of almost a year caused by disagreements over maps."
    )
    syndicated = base.replace("Tuesday", "Wednesday") + " (Reuters)"
    other = (
        "Heavy snow closed the mountain pass between Georgia and Armenia for two days this week."
    )
    groups = near_duplicate_groups([base, other, syndicated, base.upper()])
    assert groups[0] == groups[2] == groups[3]
    assert groups[1] != groups[0]
