"""What an uploaded document may be: pure rules, no database (docs/decisions/0008-documents.md).

A file is accepted only when its content and its name's extension both say the same one of
PDF, DOCX, JPEG or PNG; the content is read, never the browser's Content-Type. A file that is
also something else (a polyglot: a PNG with HTML after its end, a PDF with markup before its
header) is refused, so no browser can ever be talked into rendering it as a page.
"""

from __future__ import annotations

import enum
import io
import re
import struct
import unicodedata
import zipfile
from dataclasses import dataclass

__all__ = [
    "FileKind",
    "UploadRefused",
    "check_upload",
    "safe_filename",
]


class FileKind(enum.StrEnum):
    PDF = "pdf"
    DOCX = "docx"
    JPEG = "jpeg"
    PNG = "png"

    @property
    def content_type(self) -> str:
        return _CONTENT_TYPES[self]

    @property
    def label(self) -> str:
        return _LABELS[self]


_CONTENT_TYPES: dict[FileKind, str] = {
    FileKind.PDF: "application/pdf",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.JPEG: "image/jpeg",
    FileKind.PNG: "image/png",
}
_LABELS: dict[FileKind, str] = {
    FileKind.PDF: "PDF",
    FileKind.DOCX: "Word document (DOCX)",
    FileKind.JPEG: "JPEG image",
    FileKind.PNG: "PNG image",
}
EXTENSIONS: dict[str, FileKind] = {
    ".pdf": FileKind.PDF,
    ".docx": FileKind.DOCX,
    ".jpg": FileKind.JPEG,
    ".jpeg": FileKind.JPEG,
    ".png": FileKind.PNG,
}
ALLOWED_TEXT = "a PDF, a Word document (DOCX), a JPEG or a PNG"

# Markup a browser would render if it ever sniffed the file as a page. Looked for at the start of
# every file (where content sniffers look) and, for images, anywhere: an image has no reason to
# carry it, and a PNG or JPEG with a page appended is the classic polyglot.
_MARKUP = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|script|iframe|svg|object|embed|meta)", re.I)
# Inside an image's data only markers long enough never to occur by chance in compressed pixels.
_MARKUP_ANYWHERE = re.compile(rb"<(?:!doctype\s+html|html|body|script|iframe|object|embed)", re.I)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class UploadRefused(ValueError):
    """The file cannot be accepted; ``message`` says why, in words for the person uploading."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckedUpload:
    kind: FileKind
    filename: str  # sanitised, with the extension kept


def safe_filename(name: str, *, max_length: int = 100) -> str:
    """The name to show and offer on download: the last path part only (``../`` and ``C:\\``
    dropped), Unicode normalised, control and unusual characters replaced, no leading dot, at
    most ``max_length`` characters with the extension kept. Never used as a storage key."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKC", base)
    base = "".join(ch if ch.isprintable() else "_" for ch in base)
    base = re.sub(r"[^\w .()\-]", "_", base, flags=re.UNICODE)
    base = re.sub(r"\s+", " ", base).strip(" .")
    base = re.sub(r"_{2,}", "_", base)
    if not base or base.startswith("."):
        base = "document" + (base if base.startswith(".") else "")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext = ext[:10]
    room = max_length - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(" .") or "document"
    return f"{stem}.{ext}" if ext else stem


def extension_kind(filename: str) -> FileKind | None:
    _, dot, ext = filename.rpartition(".")
    return EXTENSIONS.get(f".{ext.lower()}") if dot else None


def sniff(data: bytes) -> FileKind | None:
    """The kind the content's own signature says, read from its first bytes."""
    if data.startswith(b"%PDF-"):
        return FileKind.PDF
    if data.startswith(_PNG_SIGNATURE):
        return FileKind.PNG
    if data.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if data.startswith(b"PK\x03\x04"):
        return FileKind.DOCX  # confirmed as a Word document by _check_docx
    return None


def check_upload(*, filename: str, data: bytes, max_bytes: int) -> CheckedUpload:
    """Accept ``data`` named ``filename`` or raise ``UploadRefused`` saying why."""
    if not data:
        raise UploadRefused("The selected file is empty")
    if len(data) > max_bytes:
        raise UploadRefused(f"The selected file must be smaller than {_size_text(max_bytes)}")
    clean = safe_filename(filename)
    by_name = extension_kind(clean)
    if by_name is None:
        raise UploadRefused(f"The selected file must be {ALLOWED_TEXT}")
    by_content = sniff(data)
    if by_content is None:
        raise UploadRefused(f"The selected file is not a real {by_name.label}: its content is not {ALLOWED_TEXT}")
    if by_content != by_name:
        raise UploadRefused(
            f"The selected file's name says {by_name.label} but its content is a {by_content.label}. "
            "Save it with the right extension and try again"
        )
    if _MARKUP.search(data[:1024]):
        raise UploadRefused("The selected file contains web page code and cannot be accepted")
    _CHECKS[by_content](data)
    return CheckedUpload(kind=by_content, filename=clean)


def _size_text(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def _check_pdf(data: bytes) -> None:
    end = data.rfind(b"%%EOF")
    if end < 0:
        raise UploadRefused("The selected PDF is incomplete or damaged")
    # Anything after the last end-of-file marker is not part of the PDF (incremental updates
    # end with their own marker, so they are covered).
    if data[end + 5 :].strip(b"\r\n\t \x00"):
        raise UploadRefused("The selected PDF has extra content after its end and cannot be accepted")


def _check_png(data: bytes) -> None:
    position = len(_PNG_SIGNATURE)
    while True:
        if position + 8 > len(data):
            raise UploadRefused("The selected PNG is incomplete or damaged")
        (length,) = struct.unpack(">I", data[position : position + 4])
        chunk_type = data[position + 4 : position + 8]
        position += 12 + length  # length, type, data, CRC
        if position > len(data):
            raise UploadRefused("The selected PNG is incomplete or damaged")
        if chunk_type == b"IEND":
            break
    if data[position:]:
        raise UploadRefused("The selected PNG has extra content after its end and cannot be accepted")
    if _MARKUP_ANYWHERE.search(data):
        raise UploadRefused("The selected file contains web page code and cannot be accepted")


def _check_jpeg(data: bytes) -> None:
    end = data.rfind(b"\xff\xd9")
    if end < 0:
        raise UploadRefused("The selected JPEG is incomplete or damaged")
    if data[end + 2 :].strip(b"\x00"):
        raise UploadRefused("The selected JPEG has extra content after its end and cannot be accepted")
    if _MARKUP_ANYWHERE.search(data):
        raise UploadRefused("The selected file contains web page code and cannot be accepted")


def _check_docx(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise UploadRefused("The selected file is not a real Word document (DOCX)") from error
    if "[Content_Types].xml" not in names or not any(name.startswith("word/") for name in names):
        raise UploadRefused("The selected file is not a real Word document (DOCX)")
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise UploadRefused("The selected Word document contains macros and cannot be accepted")


_CHECKS = {
    FileKind.PDF: _check_pdf,
    FileKind.PNG: _check_png,
    FileKind.JPEG: _check_jpeg,
    FileKind.DOCX: _check_docx,
}
