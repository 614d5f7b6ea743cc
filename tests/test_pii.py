"""Personal data found where policy says it must not leave: phone numbers in common formats judged in
context, IBANs in any spacing, names and places through the named-entity model, and consistent
numbered placeholders within a record."""

from __future__ import annotations

import pytest

from annotate.config import ProjectConfig, parse_config
from annotate.errors import ConfigError
from annotate.export.gates import scrub_pii
from annotate.export.examples import Example
from annotate.text.pii import DEFAULT_MIN_SCORES, Placeholders, find_personal_data, ner_available, redact_personal_data

STRUCTURED = ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IP_ADDRESS", "IBAN_CODE"]


def _found(text: str, entities=STRUCTURED, **kwargs) -> list[tuple[str, str]]:
    kwargs.setdefault("min_scores", DEFAULT_MIN_SCORES)
    return [(finding.entity, text[finding.start : finding.end]) for finding in find_personal_data(text, entities, 0.5, **kwargs)]


@pytest.mark.parametrize("phone", ["415-555-0134", "(212) 736-5000", "+44 20 7946 0958", "07700 900123", "+1 415 555 0134",
                                   "030 12345678", "+49 30 1234567", "+33 1 42 68 53 00", "212.555.0147"])  # fmt: skip
def test_a_phone_number_in_a_common_format_is_found_at_the_project_defaults(phone):
    assert ("PHONE_NUMBER", phone) in _found(f"Sure, my details: {phone} - thanks")
    assert ("PHONE_NUMBER", phone) in _found(f"Call me back on {phone} after five.")


@pytest.mark.parametrize("text", ["Invoice INV-2024-001234 is due.", "Order no. 415-555-0134 shipped.", "Set the code to 4000-1200.",
                                  "I paid with card 4111 1111 1111 1111.", "Blocked IP 70.68.213.118 again.",
                                  "Payroll shows SSN 536-22-8726.", "Refund to NL91 ABNA 0417 1643 00 please."])  # fmt: skip
def test_a_number_that_is_an_id_or_part_of_another_type_is_not_a_phone(text):
    assert "PHONE_NUMBER" not in {entity for entity, _ in _found(text)}


@pytest.mark.parametrize("iban", ["ES91 2100 0418 4502 0005 1332", "ES9121000418450200051332", "GB82-WEST-1234-5698-7654-32",
                                  "FR14 2004 1010 0505 0001 3M02 606"])  # fmt: skip
def test_an_iban_is_found_in_any_spacing_whatever_word_follows_and_a_bad_checksum_is_not(iban):
    assert _found(f"Send it to {iban} today, thanks.") == [("IBAN_CODE", iban)]
    broken = iban[:-1] + ("1" if iban[-1] != "1" else "2")
    assert _found(f"Send it to {broken} today, thanks.") == []


@pytest.mark.parametrize("address", ["2001:db8:1a2b::3c4d", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "fe80::1", "70.68.213.118"])
def test_ip_addresses_of_both_versions_are_found_with_the_structured_types_alone(address):
    # IPv6 holds no long run of digits: the cheap pre-check once kept such texts from Presidio.
    assert _found(f"the login came from {address} which is not us") == [("IP_ADDRESS", address)]


def test_the_same_value_gets_the_same_numbered_placeholder_throughout_a_record():
    placeholders = Placeholders()
    prompt, _ = redact_personal_data("I'm on 415-555-0134, or mail ana@example.com.", STRUCTURED, 0.5, DEFAULT_MIN_SCORES, placeholders)
    answer, found = redact_personal_data("We will call (415) 555 0134 and copy ANA@example.com and bo@example.com.", STRUCTURED, 0.5,
                                         DEFAULT_MIN_SCORES, placeholders)  # fmt: skip
    assert prompt == "I'm on <PHONE_NUMBER_1>, or mail <EMAIL_ADDRESS_1>."
    assert answer == "We will call <PHONE_NUMBER_1> and copy <EMAIL_ADDRESS_1> and <EMAIL_ADDRESS_2>."
    assert sorted(found) == ["EMAIL_ADDRESS", "EMAIL_ADDRESS", "PHONE_NUMBER"]
    fresh, _ = redact_personal_data("Mail bo@example.com.", STRUCTURED, 0.5, DEFAULT_MIN_SCORES, Placeholders())
    assert fresh == "Mail <EMAIL_ADDRESS_1>."


def test_an_export_with_the_project_defaults_never_lets_a_phone_number_through():
    config = ProjectConfig()
    example = Example(id="t1", kind="sft", origin="correction",
                      prompt=[{"role": "user", "content": "My number changed to (212) 736-5000, please update it."}],
                      completion="Done: your phone is now (212) 736-5000; we will text 212-736-5000 to confirm.")  # fmt: skip
    (scrubbed,), report = scrub_pii([example], True, config.pii.entities, config.flagging.pii_min_score, config.pii.min_scores)
    assert scrubbed.prompt[0]["content"] == "My number changed to <PHONE_NUMBER_1>, please update it."
    assert scrubbed.completion == "Done: your phone is now <PHONE_NUMBER_1>; we will text <PHONE_NUMBER_1> to confirm."
    assert report.counts["PHONE_NUMBER"] == 3


def test_a_floor_per_entity_type_comes_from_the_config_and_is_checked():
    config = parse_config('[pii]\nmin_scores = { PHONE_NUMBER = 0.7 }\n')  # only phone numbers in a calling context
    text = "Sure: 415-555-0134."
    assert _found(text, min_scores=config.pii.min_scores) == []
    assert _found("Call me on 415-555-0134.", min_scores=config.pii.min_scores) == [("PHONE_NUMBER", "415-555-0134")]
    with pytest.raises(ConfigError, match="min_scores"):
        parse_config('[pii]\nmin_scores = { PHONE_NUMBER = 1.5 }\n')


def test_names_and_places_are_found_by_the_named_entity_model_only_when_asked_for():
    assert ner_available(), "make install installs en_core_web_sm (requirements/models.txt)"
    text = "Please add Maria Gonzalez as an accountant for our office in Manchester."
    assert _found(text, STRUCTURED + ["PERSON", "LOCATION"]) == [("PERSON", "Maria Gonzalez"), ("LOCATION", "Manchester")]
    assert _found(text) == []
    redacted, _ = redact_personal_data(text + " Maria Gonzalez signs.", ["PERSON"], 0.5)
    assert redacted == "Please add <PERSON_1> as an accountant for our office in Manchester. <PERSON_1> signs."
