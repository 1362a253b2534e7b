from conftest import NOW, PERSON, at, record


def test_card_and_record(rpc, card):
    assert card["status"] == "active"
    assert card["service_no"] == "FWK-620102001-00001"
    rec = record(rpc, at(10, 9), at(10, 10, 30))
    assert rec["quantity"] == "1.50" and rec["amount"] == "45.00"
    assert NOW and PERSON
