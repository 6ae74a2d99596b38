def test_ticket_created_by_phone_is_new_and_prioritised(make_ticket):
    ticket = make_ticket()
    assert ticket.status == "new"
    assert ticket.priority == 1
