"""Redaction: known keys, credentials in headers however quoted, URL user-info; placeholders kept."""

import pytest

from modgap.secrets import redact, redact_values, register, strip_userinfo

KEY = "sk-test-SECRET123"


@pytest.mark.parametrize(
    "text, gone",
    [
        (f"invalid key {KEY}", KEY),
        ("Authorization: Bearer sk-unknown-token-42\r\nHost: x", "sk-unknown-token-42"),
        ("{'authorization': 'Basic dXNlcjpwdy1TRUNSRVQ0NTY=', 'host': 'h'}", "dXNlcjpw"),
        ('{\\"Authorization\\": \\"Bearer abc.def\\"}', "abc.def"),
        ("x-api-key=k-live-0000 sent", "k-live-0000"),
        ("connect to http://user:pw-SECRET456@127.0.0.1:8/v1 failed", "pw-SECRET456"),
        ("openai:m@https://me:p@ss@host/v1", "ss@host"),
    ],
)
def test_credentials_are_blanked_wherever_they_stand(text, gone):
    out = redact(text, [KEY])
    assert gone not in out and "***" in out


def test_the_rest_of_the_text_is_kept_and_short_placeholders_are_not_secrets():
    assert redact("Error code: 401 - no access to http://host/v1", ["EMPTY"]) == (
        "Error code: 401 - no access to http://host/v1"
    )
    assert redact("the EMPTY key", ["EMPTY"]) == "the EMPTY key"
    assert redact("Bearer EMPTY") == "Bearer ***"
    assert redact("http://u:p@host/v1") == "http://***@host/v1"


def test_registered_secrets_are_blanked_everywhere_and_values_in_nested_records():
    register("sk-registered-77aa")
    record = {"error": "echo sk-registered-77aa", "steps": ["ok", "sk-registered-77aa"], "n": 3}
    assert redact_values(record) == {"error": "echo ***", "steps": ["ok", "***"], "n": 3}


def test_strip_userinfo_keeps_scheme_host_port_and_path():
    assert strip_userinfo("http://user:pass@127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"
    assert strip_userinfo("https://api.openai.com/v1") == "https://api.openai.com/v1"
