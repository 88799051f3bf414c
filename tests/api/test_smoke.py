from tests.api.conftest import problem


def test_list_detail_and_reply_as_merchant(merchant_api, pending_ticket):
    response = merchant_api.get("/api/v1/tickets/")
    assert response.status_code == 200, response.content
    assert [t["number"] for t in response.json()["results"]] == [pending_ticket.number]
    detail = merchant_api.get(f"/api/v1/tickets/{pending_ticket.number}/").json()
    assert detail["actions"] == ["reply"]
    response = merchant_api.post(f"/api/v1/tickets/{pending_ticket.number}/reply/",
                                 {"body": "已发货"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "under_review"
    problem(merchant_api.post(f"/api/v1/tickets/{pending_ticket.number}/reply/",
                              {"body": "again"}, format="json"), 409, "already_replied")
