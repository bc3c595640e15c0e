"""Per-language routing: tokenizers, lemmas, phrase matching and Cyrillic folding."""

import json

import pytest

import narratives
from narratives import InputError
from narratives.cli._app import main as cli_main
from narratives.preprocessing import Preprocessor
from narratives.preprocessing import _segmenter as pp
from narratives.preprocessing._normalize import normalize
from narratives.preprocessing._spacy import LookupForms, build_nlp, token_form

RU = [
    "Казахстан — искусственное государство, созданное Лениным. Это знает каждый!",
    "Киевский режим снова получил помощь от Вашингтона.\nНовая строка здесь\n\nНовый абзац",
    "Ещё раз: «фейк» или нет? Стали говорить о НАТО у границ России... 1,5 млн рублей.",
    "Зeленский и нaцисты (латинские буквы внутри слов), https://example.org и 2024 год.",
]
UK = [
    "Україна — штучна держава, нібито кажуть у Кремлі. Київ відповів.",
    "П’ять м'ясних пиріжків і пʼять Київських тортів! Придністров'я та Молдова.",
    "Так звана «допомога» Заходу нібито розкрадається, стверджує російська пропаганда.",
]
EN = "Kazakhstan is an artificial state. It owes its existence to Moscow."
DE = "Die Regierung in Berlin hat heute neue Sanktionen gegen Russland beschlossen und angekündigt."


@pytest.fixture(scope="module")
def pre():
    return Preprocessor(languages=["en", "ru", "uk"]).fit()


@pytest.mark.parametrize(("lang", "texts"), [("ru", RU), ("uk", UK)])
def test_fast_lemmas_and_sentences_match_spacys_pymorphy3_lemmatizer(lang, texts):
    nlp = build_nlp(f"blank:{lang}", True)
    assert "lemmatizer" in nlp.pipe_names
    fast = LookupForms(nlp, True)
    for text in texts:
        doc = nlp(text)  # spaCy's own components, its pymorphy3 lemmatizer included
        bare = nlp.make_doc(text)
        forms, sents = fast(bare, bare.to_array("IDX").tolist())
        assert forms == [token_form(t, True) for t in doc]
        assert sents == [(s.start, s.end, s.start_char, s.end_char) for s in doc.sents]


def test_segment_fast_path_equals_component_path_in_every_language(pre, monkeypatch):
    texts = [EN, *RU, *UK, DE, ""]
    fast = pre.segment(texts)
    with monkeypatch.context() as m:
        m.setattr(pp, "_lookup_forms", lambda *a: None)
        slow = pre.segment(texts)
    assert fast == slow


def test_documents_are_routed_by_language_and_keep_input_order(pre):
    texts = [EN, RU[0], UK[0], DE, RU[1], EN]
    segs = pre.segment(texts)
    langs = [s.document.lang for s in segs]
    assert langs == ["en", "ru", "uk", "de", "ru", "en"]
    assert [s.supported for s in segs] == [True, True, True, False, True, True]
    assert all(p.taggable for s in segs if s.supported for p in s.passages if p.kind == "text")
    assert not any(p.taggable for p in segs[3].passages)
    # Offsets point into each original text, whatever its route.
    for text, seg in zip(texts, segs, strict=True):
        assert seg.passages[0].start == 0 and seg.passages[-1].end <= len(text)
    # Lemmas come from the document's own language.
    assert "государство" in segs[1].document.tokens.split()
    assert "держава" in segs[2].document.tokens.split()


def test_cues_and_names_match_inflected_forms(pre):
    seg = pre.segment(["Искусственного государства не бывает; спросите у Киева и Приднестровья."])[
        0
    ]
    doc = seg.document
    assert doc.cues.get("artificial_state") == 1
    assert {"ukraine", "transnistria"} <= set(doc.actors)
    text = "Так звана держава? Ні: штучна держава, стверджують у Москві."
    doc = pre.segment([text])[0].document
    assert doc.cues.get("artificial_state") == 1 and doc.stance.get("reports", 0) >= 2
    hit = next(h for h in doc.hits if h[0] == "cue:artificial_state")
    assert text[hit[1] : hit[2]] == "штучна держава"


def test_cyrillic_folding_keeps_offsets_into_the_original():
    text = "Зeленский и нaцисты: ещё «фейк»"  # Latin e and a inside Cyrillic words
    norm = normalize(text)
    assert norm.text == 'Зеленский и нацисты: еще "фейк"'
    start = norm.text.index("нацисты")
    s, e = norm.span_to_original(start, start + len("нацисты"))
    assert text[s:e] == "нaцисты"
    assert normalize("Nаzi regime").text == "Nazi regime"  # a Cyrillic а in a Latin word
    assert normalize("Kyiv and Tbilisi").text == "Kyiv and Tbilisi"


def test_latin_lookalikes_do_not_hide_a_cue(pre):
    plain = pre.segment(["Киевские нацисты снова лгут."])[0].document
    dodged = pre.segment(["Киевские нaцисты снова лгут."])[0].document
    assert plain.cues == dodged.cues and plain.cues.get("nazi_smear") == 1
    assert plain.tokens == dodged.tokens


def test_auto_languages_are_those_of_the_training_texts():
    en = [f"{EN} Case number {i}." for i in range(20)]
    ru = [f"{RU[0]} Случай номер {i}." for i in range(5)]
    assert Preprocessor().fit(en + ru).languages_ == ["en", "ru"]
    # A stray text (below 1% and 3 texts) does not make a language.
    assert Preprocessor().fit([*en * 10, RU[0]]).languages_ == ["en"]
    assert Preprocessor(languages="uk").fit(en).languages_ == ["en", "uk"]
    with pytest.raises(InputError):
        Preprocessor(languages=["en", "zz"]).fit()


def test_forced_language(pre):
    seg = pre.segment([RU[0]], lang="uk")[0]
    assert seg.document.lang == "uk" and all(p.taggable for p in seg.passages)
    with pytest.raises(InputError, match="not one this model tags"):
        pre.segment([RU[0]], lang="de")


def test_preprocessors_saved_before_languages_tag_english_only():
    old = Preprocessor().fit()
    state = dict(old.__dict__)
    del state["languages"], state["languages_"], state["force_language"]
    restored = Preprocessor.__new__(Preprocessor)
    restored.__setstate__(state)
    assert restored.languages_ == ["en"]
    seg = restored.segment([RU[0]])[0]
    assert seg.document.lang == "ru" and not seg.supported


def _bilingual_rows():
    rows = []
    for i in range(6):
        rows.append({"id": f"e{i}", "text": f"{EN} Item {i}.", "frames": ["artificial_state"]})
        rows.append(
            {"id": f"n{i}", "text": f"The lake froze early in Riga, day {i}.", "frames": []}
        )
        rows.append({"id": f"r{i}", "text": f"{RU[0]} Выпуск {i}.", "frames": ["artificial_state"]})
        rows.append({"id": f"q{i}", "text": f"В Риге рано замерзло озеро, день {i}.", "frames": []})
    return rows


def test_russian_end_to_end_cli_run(tmp_path, capsys):
    train = tmp_path / "train.jsonl"
    train.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in _bilingual_rows()))
    model_dir = tmp_path / "bi"
    assert cli_main(["train", str(train), "-o", str(model_dir), "--seed", "0"]) == 0
    assert narratives.load(model_dir).languages == ["en", "ru"]
    src = tmp_path / "in.jsonl"
    docs = [
        {"id": "ru", "text": "Казахстан — искусственное государство. Выпуск новостей."},
        {"id": "en", "text": EN},
        {"id": "de", "text": DE},
        {"id": "ru2", "text": "В Риге рано замерзло озеро."},
    ]
    src.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs))
    out = tmp_path / "out.jsonl"
    capsys.readouterr()
    assert cli_main(["tag", str(src), "-o", str(out), "--model", str(model_dir)]) == 0
    assert "unsupported language 1" in capsys.readouterr().out
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["ru"]["lang"] == "ru" and rows["ru"]["flag"] == ""
    assert "artificial_state" in rows["ru"]["frames"]
    assert rows["ru2"]["frames"] == ["none"] and rows["ru2"]["flag"] == ""
    assert rows["de"]["flag"] == "unsupported_language"
    assert list(rows) == ["ru", "en", "de", "ru2"]
