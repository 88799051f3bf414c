"""Bad input a person or a script can send is a 4xx with a readable message,
never a 500: dates the calendar or the database cannot hold, NUL bytes, digits
``int()`` does not take, ``next`` values that are not a same-site path. Each
case here was a 500 once; the fuzz test (tests/test_fuzz_never_500.py) looks
for the ones nobody has thought of yet."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from notifications.models import Notification
from tests.fuzz.hostile import JUNK_FILES
from tickets.converters import TicketNumberConverter
from tickets.models import Evidence, Ticket, new_ticket_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(db):
    """as_user(user) -> a client logged in as user that returns 500s as responses
    (instead of raising), so a test can assert on the status."""

    def login(user):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        return client

    return login


# --- dates out of the range the filter can compute with ------------------------

OUT_OF_RANGE_DATES = [
    ("created_before", "9999-12-31"),
    ("created_after", "0001-01-01"),
    ("created_before", "0001-01-01"),
    ("created_after", "9999-12-31T23:59"),
    ("created_after", "0001-01-01T00:00"),
    ("created_before", "9999-12-31T23:59-12:00"),
]


@pytest.mark.parametrize(("name", "value"), OUT_OF_RANGE_DATES)
def test_list_shows_a_field_error_for_a_date_out_of_range(as_user, merchant, pending_ticket,
                                                          name, value):
    response = as_user(merchant).get("/tickets/", {name: value, "status": "all"})
    assert response.status_code == 400
    assert response.context["filter"].errors[name] == [
        "请输入 2000-01-01 到 2999-12-31 之间的日期。"]


@pytest.mark.parametrize(("name", "value"), OUT_OF_RANGE_DATES)
def test_export_refuses_a_date_out_of_range_with_a_field_error(as_user, merchant,
                                                              pending_ticket, name, value):
    response = as_user(merchant).post("/exports/", {name: value},
                                      HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["filter_form"].errors[name] == [
        "Enter a date between 2000-01-01 and 2999-12-31."]
    assert not merchant.export_jobs.exists()


@pytest.mark.parametrize("offset", ["-23:59", "+16:00"])
def test_a_time_zone_offset_postgresql_does_not_take_is_converted(as_user, merchant,
                                                                 pending_ticket, offset):
    client = as_user(merchant)
    response = client.get("/tickets/", {"created_after": f"2000-01-02T00:00{offset}",
                                        "status": "all"})
    assert response.status_code == 200
    assert [t.number for t in response.context["page"].rows] == [pending_ticket.number]
    response = client.post("/exports/", {"created_after": f"2000-01-02T00:00{offset}"})
    assert response.status_code == 302
    assert merchant.export_jobs.get().matched_count == 1


def test_dates_at_the_edges_of_the_range_are_accepted(as_user, merchant, pending_ticket):
    response = as_user(merchant).get("/tickets/", {"created_after": "2000-01-01",
                                                   "created_before": "2999-12-31",
                                                   "status": "all"})
    assert response.status_code == 200
    assert [t.number for t in response.context["page"].rows] == [pending_ticket.number]


# --- NUL bytes and other values that cannot reach a query ----------------------

@pytest.mark.parametrize("path", [
    "/tickets/%00/",
    "/tickets/abc%00def/evidence/1/",
    "/tickets/%00/reply/",
    "/tickets/١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦/",  # Arabic-Indic digits: not a ticket number
    "/tickets/" + "1" * 100_000 + "/",
])
def test_a_path_that_is_not_a_ticket_number_is_404(as_user, agent, path):
    client = as_user(agent)
    method = client.post if path.endswith("/reply/") else client.get
    assert method(path).status_code == 404


def test_new_ticket_numbers_fit_the_url_converter():
    numbers = [new_ticket_number(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) for _ in range(50)]
    assert all(re.fullmatch(TicketNumberConverter.regex, n) for n in numbers)


def test_a_real_ticket_number_still_opens_the_ticket(as_user, merchant, pending_ticket):
    assert as_user(merchant).get(f"/tickets/{pending_ticket.number}/").status_code == 200


@pytest.mark.parametrize("params", [
    {"order_number": "69\x00"},
    {"number": "\x00"},
    {"service_type": "shipping\x00urge"},
    {"status": "pending\x00"},
])
def test_a_nul_byte_in_a_filter_is_a_400(as_user, merchant, pending_ticket, params):
    assert as_user(merchant).get("/tickets/", params).status_code == 400


def test_a_nul_byte_in_the_export_filter_is_a_400(as_user, merchant, pending_ticket):
    response = as_user(merchant).post("/exports/", {"service_type": "\x00"})
    assert response.status_code == 400
    assert not merchant.export_jobs.exists()


def test_a_nul_byte_in_the_new_tickets_service_type_is_a_400(as_user, agent, order,
                                                             service_type):
    response = as_user(agent).post("/tickets/new/", {"order_number": order.number,
                                                     "service_type": "\x00",
                                                     "content": "买家询问什么时候发货"})
    assert response.status_code == 400
    assert "service_type" in response.context["form"].errors
    assert not Ticket.objects.exists()


# --- next: only ever a same-site path ------------------------------------------

@pytest.fixture
def notification(merchant, pending_ticket):
    return Notification.objects.get(recipient=merchant)


@pytest.mark.parametrize("target", [
    "1",                      # resolved as a URL name: NoReverseMatch
    "tickets:list",           # a URL name is not a path either
    "//evil.example/",
    "https://evil.example/tickets/",
    "/\\evil.example/",
    "javascript:alert(1)",
    "\x00/tickets/",
    "",
])
@pytest.mark.parametrize("endpoint", ["read", "read-all"])
def test_next_that_is_not_a_same_site_path_goes_to_the_list(as_user, merchant,
                                                            notification, endpoint, target):
    path = (f"/notifications/{notification.pk}/read/" if endpoint == "read"
            else "/notifications/read-all/")
    response = as_user(merchant).post(path, {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"


@pytest.mark.parametrize("endpoint", ["read", "read-all"])
def test_next_that_is_a_same_site_path_is_followed(as_user, merchant, notification, endpoint):
    path = (f"/notifications/{notification.pk}/read/" if endpoint == "read"
            else "/notifications/read-all/")
    response = as_user(merchant).post(path, {"next": "/notifications/?page=2"})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/?page=2"


# --- integers parsed by a form field -------------------------------------------

@pytest.mark.parametrize("up_to", ["²", "-1", "1.5", "1" * 5000, "\x00", "0x10"])
def test_read_all_with_a_bound_that_is_not_a_whole_number_is_a_400(as_user, merchant,
                                                                   notification, up_to):
    response = as_user(merchant).post("/notifications/read-all/", {"up_to": up_to})
    assert response.status_code == 400
    notification.refresh_from_db()
    assert notification.read_at is None


def test_read_all_with_a_bound_beyond_any_id_marks_everything(as_user, merchant, notification):
    response = as_user(merchant).post("/notifications/read-all/", {"up_to": str(2**64)})
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None


# --- the admin -------------------------------------------------------------------

@pytest.mark.parametrize("view", ["change", "delete"])
def test_admin_refuses_an_empty_to_field(admin_client, pending_ticket, view):
    admin_client.raise_request_exception = False
    response = admin_client.get(f"/admin/tickets/ticket/{pending_ticket.pk}/{view}/",
                                {"_to_field": ""})
    assert response.status_code == 400


@pytest.mark.parametrize("params", [{"status__exact": "\x00"}, {"q": "\x00"},
                                    {"shop__id__exact": "1\x00"}, {"\x00": "1"}])
def test_admin_refuses_a_nul_byte_in_the_changelist(admin_client, pending_ticket, params):
    admin_client.raise_request_exception = False
    assert admin_client.get("/admin/tickets/ticket/", params).status_code == 400


def test_admin_change_page_still_opens(admin_client, pending_ticket):
    assert admin_client.get(f"/admin/tickets/ticket/{pending_ticket.pk}/change/").status_code \
        == 200


# --- files that are no image -----------------------------------------------------

@pytest.mark.parametrize("upload", JUNK_FILES, ids=[f[0][:20] for f in JUNK_FILES])
def test_a_reply_with_a_file_that_is_no_image_is_a_400_and_changes_nothing(
        as_user, merchant, pending_ticket, upload):
    name, content, content_type = upload
    response = as_user(merchant).post(
        f"/tickets/{pending_ticket.number}/reply/",
        {"body": "今天下午发出", "evidence": SimpleUploadedFile(name, content, content_type)})
    assert response.status_code == 400
    pending_ticket.refresh_from_db()
    assert pending_ticket.status == "pending"
    assert not Evidence.objects.exists()
