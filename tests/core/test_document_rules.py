"""What an upload may be (core/uploads.py) and when a document may be downloaded: pure rules,
no database."""

from __future__ import annotations

import pytest

from core.documents import download_refusal
from core.uploads import FileKind, UploadRefused, check_upload, safe_filename
from tests.core.document_files import EICAR, docx, jpeg, pdf, png

LIMIT = 1024 * 1024


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("report.pdf", pdf(), FileKind.PDF),
        ("scan.PNG", png(), FileKind.PNG),
        ("photo.jpeg", jpeg(), FileKind.JPEG),
        ("photo.jpg", jpeg(), FileKind.JPEG),
        ("advice.docx", docx(), FileKind.DOCX),
    ],
)
def test_each_allowed_kind_is_accepted_when_name_and_content_agree(name, data, kind):
    assert check_upload(filename=name, data=data, max_bytes=LIMIT).kind == kind


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("report.pdf", b"MZ\x90\x00 an executable", "not a real PDF"),
        ("report.pdf", png(), "content is a PNG"),
        ("photo.png", pdf(), "content is a PDF"),
        ("notes.txt", b"hello", "must be a PDF"),
        ("page.html", b"<html></html>", "must be a PDF"),
        ("advice.docx", docx(with_word=False), "not a real Word document"),
        ("advice.docx", docx(macros=True), "macros"),
        ("eicar.pdf", EICAR, "not a real PDF"),
        ("no-extension", pdf(), "must be a PDF"),
    ],
)
def test_wrong_type_by_content_or_extension_is_refused(name, data, words):
    with pytest.raises(UploadRefused) as refused:
        check_upload(filename=name, data=data, max_bytes=LIMIT)
    assert words in refused.value.message


def test_an_oversize_file_is_refused_naming_the_limit():
    with pytest.raises(UploadRefused, match="smaller than 1 MB"):
        check_upload(filename="big.pdf", data=pdf() + b" " * LIMIT, max_bytes=LIMIT)


def test_an_empty_file_is_refused():
    with pytest.raises(UploadRefused, match="empty"):
        check_upload(filename="a.pdf", data=b"", max_bytes=LIMIT)


def test_a_png_with_a_web_page_after_its_end_is_refused():
    from tests.core.document_files import _chunk

    original = png()
    iend = original.rindex(b"IEND") - 4
    padded = original[:iend] + _chunk(b"tEXt", b"Comment\x00" + b"a" * 2000) + original[iend:]  # markup past 1 KB
    polyglot = padded + b"<html><script>alert(document.cookie)</script></html>"
    with pytest.raises(UploadRefused, match="extra content after its end"):
        check_upload(filename="image.png", data=polyglot, max_bytes=LIMIT)


def test_a_png_hiding_a_script_in_a_text_chunk_is_refused():
    from tests.core.document_files import _chunk

    original = png()
    iend = original.rindex(b"IEND") - 4
    polyglot = original[:iend] + _chunk(b"tEXt", b"Comment\x00<script>alert(1)</script>") + original[iend:]
    with pytest.raises(UploadRefused, match="web page code"):
        check_upload(filename="image.png", data=polyglot, max_bytes=LIMIT)


def test_a_pdf_with_html_before_its_header_is_refused():
    with pytest.raises(UploadRefused):
        check_upload(filename="report.pdf", data=b"<html><body>hi</body></html>\n" + pdf(), max_bytes=LIMIT)


def test_a_pdf_with_a_page_after_its_end_is_refused():
    with pytest.raises(UploadRefused, match="extra content"):
        check_upload(filename="report.pdf", data=pdf() + b"\n" * 1024 + b"<html>x</html>", max_bytes=LIMIT)


def test_a_jpeg_with_a_page_appended_is_refused():
    with pytest.raises(UploadRefused, match="cannot be accepted"):
        check_upload(filename="photo.jpg", data=jpeg() + b"<script>x</script>", max_bytes=LIMIT)


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system.ini.pdf", "system.ini.pdf"),
        ("C:\\Users\\Ng\\EP report (final).pdf", "EP report (final).pdf"),
        ("..", "document"),
        (".htaccess", "htaccess"),
        ("report\x00.pdf", "report_.pdf"),
        ('a"b<c>.pdf', "a_b_c_.pdf"),
        ("x" * 300 + ".pdf", "x" * 96 + ".pdf"),
    ],
)
def test_safe_filename_keeps_only_a_plain_last_part(given, safe):
    assert safe_filename(given) == safe


def test_a_traversal_name_is_accepted_as_its_last_part_only():
    checked = check_upload(filename="../../../var/www/report.pdf", data=pdf(), max_bytes=LIMIT)
    assert checked.filename == "report.pdf"


@pytest.mark.parametrize(
    ("state", "require", "allowed"),
    [
        ("clean", True, True),
        ("clean", False, True),
        ("pending", False, False),
        ("pending", True, False),
        ("infected", False, False),
        ("not_scanned", False, True),
        ("not_scanned", True, False),
    ],
)
def test_download_allowed_only_after_the_scan_allows_it(state, require, allowed):
    assert (download_refusal(state, require_scan=require) is None) is allowed


def test_the_upload_rules_import_no_django():
    import ast
    import inspect

    import core.uploads as uploads

    tree = ast.parse(inspect.getsource(uploads))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name.startswith("django") for name in imported)
