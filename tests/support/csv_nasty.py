"""A corpus of nasty CSV files, written as an attacker would: every file is a way csv_query and
csv_read could disagree (quotes, line endings, encodings, blank lines, ragged rows, numbers and
dates that a type guess would change). ``corpus()`` maps a file name to its bytes."""

from __future__ import annotations

import codecs


def _zips() -> bytes:
    # A code column whose first leading zero comes long after any sample a reader takes.
    rows = [f"{10000 + i * 7 % 89999},town {i}" for i in range(6000)]
    rows.insert(5500, "00501,Holtsville")
    return ("zip,city\n" + "\n".join(rows) + "\n").encode()


def _late_latin() -> bytes:
    # Valid UTF-8 for the first megabyte, then a cp1252 byte: the reader must start over.
    body = "".join(f"{i},plain row {i}\n" for i in range(60_000)).encode()
    return b"id,text\n" + body + "60000,caf\xe9\n".encode("latin-1")


def _late_nul() -> bytes:
    body = "".join(f"{i},row {i}\n" for i in range(60_000)).encode()
    return b"id,text\n" + body + b"60000,nul\x00here\n"


def _wide() -> bytes:
    names = ",".join(f"col_{i}" for i in range(2000))
    row = ",".join(str(i % 7) if i % 3 else f"v{i}" for i in range(2000))
    return f"{names}\n{row}\n{row}\n".encode()


def _long_line() -> bytes:
    # Lines of 200 KB made of fields under csv_read's limit: DuckDB's line limit is not a field's.
    width = 2_000
    header = ",".join(f"c{i}" for i in range(width))
    row = ",".join(f"{i:03d}" + "x" * 96 for i in range(width))
    return f"{header}\n{row}\n{row}\n".encode()


CORPUS: dict[str, bytes] = {
    # Ragged and malformed rows: both tools refuse and name the same line.
    "ragged_issue": b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n",
    "ragged_last": b"a,b\n1,2\n3,4\n5,6,7",
    "ragged_whitespace_line": b"a,b\n1,2\n \n3,4\n",
    "unterminated_quote": b'a,b\n1,"open\n2,3\n4,5\n',
    "text_after_quote": b'a,b\n1,"x"y\n',
    "quote_then_space": b'a,b\n1,"x" \n',
    "oversized_field": b"a,b\n1," + b"x" * 140_000 + b"\n",
    "trailing_delimiter": b"a,b,\n1,2,\n",
    # DuckDB drops one empty field too many at a line's end without a word: csv_read refuses.
    "trailing_delimiter_rows": b"a,b\n1,2,\n3,4\n",
    "trailing_delimiter_crlf": b"a,b\r\n1,2\r\n3,4,\r\n",
    "trailing_delimiter_no_newline": b"a,b\n1,2\n3,4,",
    "trailing_delimiter_late": b"a,b\n" + b"1,2\n" * 300_000 + b"3,4,\n",
    "empty_last_column": b"a,b,c\n1,2,\n3,4,5\n,,\n",
    "crlf_then_lone_cr": b"a,b\r\n1,2\r\n\r",
    "duplicate_header": b"id,name,id\n1,a,2\n",
    "case_duplicate_header": b"id,ID\n1,2\n",
    "empty_header_name": b"a,,c\n1,2,3\n",
    "empty_file": b"",
    "only_blank_lines": b"\n\n\r\n",
    "nul_in_head": b"a,b\n1,x\x00y\n",
    # Dialects and line endings.
    "semicolon_decimal_comma": "name;price;qty\nÄpfel;1,50;3\nBirnen;2,75;10\n".encode(),
    "tabs": b"a\tb\tc\n1\t2\t3\n4\t\t6\n",
    "pipes": b"a|b\nx|y\n|\n",
    "crlf": b"id,name\r\n1,Ann\r\n2,Bob\r\n",
    "cr_only": b"id,name\r1,Ann\r2,Bob\r",
    "mixed_endings": b"id,name\n1,Ann\r\n2,Bob\r3,Cy\n",
    "no_final_newline": b"id,name\n1,Ann\n2,Bob",
    "blank_lines_inside": b"id,name\n1,Ann\n\n\n2,Bob\n\n",
    "blank_lines_crlf": b"id,name\r\n1,Ann\r\n\r\n2,Bob\r\n\r\n",
    "blank_lines_cr": b"id,name\r1,Ann\r\r2,Bob\r",
    "blank_lines_before_header": b"\n\nid,name\n1,Ann\n",
    "one_column_blank_lines": b"name\nAnn\n\nBob\n\n",
    "one_column_empty_quoted": b'name\nAnn\n""\nBob\n',
    "lone_cr_in_field": b"a,b\n1,x\ry\n",
    "crcrlf": b"a,b\r\r\n1,2\r\r\n",
    # Quoting.
    "quoted_delimiters_newlines": b'id,text\n1,"a,b"\n2,"line1\nline2"\n3,"crlf\r\ninside"\n',
    "doubled_quotes": b'id,text\n1,"say ""hi"""\n2,""""\n',
    "space_before_quote": b'a,b\n1, "x"\n',
    "quote_inside_unquoted": b'a,b\n1,ab"c\n2,d"\n',
    "backslash_escape": b'a,b\n1,x\\"y\n',
    "quoted_header": b'"first name","last, name"\n"Ann","Lee"\n',
    "header_with_newline": b'"multi\nline",b\n1,2\n',
    "empty_vs_quoted_empty": b'a,b,c\n1,,""\n,"",3\n',
    # Encodings.
    "bom_utf8": b"\xef\xbb\xbfid,name\n1,Zo\xc3\xab\n",
    "utf16_le": codecs.BOM_UTF16_LE + "id,name\r\n1,Zoë\r\n2,日本\r\n".encode("utf-16-le"),
    "utf16_be": codecs.BOM_UTF16_BE + "id,name\n1,Zoë\n2,€\n".encode("utf-16-be"),
    "utf32_le": codecs.BOM_UTF32_LE + "id,name\n1,Zoë\n".encode("utf-32-le"),
    "cp1252": "id,name,price\n1,café,5 €\n2,naïve,“quoted”\n".encode("cp1252"),
    "latin1_undefined_cp1252": b"id,name\n1,\x81\xe9\n",
    "late_invalid_utf8": _late_latin(),
    "late_nul": _late_nul(),
    "astral_and_bidi": "id,text\n1,😀\n2,a\u202eb\n3,zero\u200bwidth\n4,\x1b[31mred\n".encode(),
    # Values a type guess would change.
    "zip_codes_late_zero": _zips(),
    "ambiguous_dates": b"day,amount\n01/02/2024,1\n13/02/2024,2\n",
    "iso_dates": b"day\n2024-01-31\n2024-02-29\n",
    "invalid_dates": b"day\n2024-02-30\n2024-01-31\n",
    "year_zero": b"day\n0000-01-01\n0001-01-01\n",
    "timestamps": b"ts,ts_t\n2024-01-01 10:00:00,2024-01-01T10:00:00\n2024-12-31 23:59:59,2024-12-31T23:59:59\n",
    "fixed_decimals": b"price\n1.50\n2.25\n10.00\n",
    "long_decimals": b"x\n0.12345678901234567890123\n1.00000000000000000001\n",
    "human_decimals": b"amount\n20\n10.5\n4.25\n-3\n",
    "float_repr": b"amount\n0.0\n79.19\n100.0\n",
    "mixed_trailing_zeros": b"amount\n1.50\n2.5\n",
    "exponents": b"x\n1e5\n2.5E-3\n",
    "float_exponent_repr": b"x\n1e+20\n1.5e-07\n",
    "huge_integers": b"n\n123456789012345678901234567890\n1\n",
    "gigantic_integer": b"n\n" + b"9" * 60 + b"\n1\n",
    "int64_edges": b"n\n9223372036854775807\n-9223372036854775808\n9223372036854775808\n",
    "leading_plus": b"n\n+5\n6\n",
    "leading_zeros": b"code\n007\n42\n",
    "negative_zero": b"n,x\n-0,-0.0\n1,1.5\n",
    "nan_inf": b"x\nNaN\ninf\n-Infinity\n1.5\n",
    "whitespace_around": b"a,b\n 1 ,2\n3, 4\n5,6 \n",
    "booleans": b"flag\ntrue\nfalse\nTRUE\n",
    "null_strings": b"a,b\nNULL,\\N\n,null\n",
    "formula_cells": b"a,b\n=1+2,@sum\n-3,+4\n",
    "numbers_and_dates": b"v\n1\n2024-01-01\n",
    "digit_group_underscore": b"n\n1_000\n2\n",
    "hex_numbers": b"n\n0x1F\n2\n",
    "seventeen_digit_float": b"x\n0.30000000000000004\n0.5\n",
    "tiny_floats": b"x\n0.00001\n0.5\n",
    # Shapes.
    "header_only": b"a,b,c\n",
    "header_only_no_newline": b"a,b,c",
    "no_header_numbers": b"1,2,3\n4,5,6\n",
    "very_wide": _wide(),
    "long_line_small_fields": _long_line(),
    "comment_like_lines": b"a,b\n#1,2\n3,4\n",
    "long_header_name": b"x" * 5000 + b",b\n1,2\n",
    "sniff_ambiguity": b"a;b,c\n1;2,3\n4;5,6\n",
}


def corpus() -> dict[str, bytes]:
    return dict(CORPUS)
