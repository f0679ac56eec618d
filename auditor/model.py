"""The CRM entities, their canonical fields and the role each field plays.

Everything downstream (mapping, rule packs, duplicate detection, metrics) speaks this
vocabulary: a loaded table has canonical column names, a rule names an entity and its
fields, a metric declares the entity fields it reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from auditor.errors import did_you_mean


class Role(StrEnum):
    PRIMARY_KEY = "primary_key"
    FOREIGN_KEY = "foreign_key"
    PERSON_NAME = "person_name"
    COMPANY_NAME = "company_name"
    EMAIL = "email"
    PHONE = "phone"
    COUNTRY = "country"
    CITY = "city"
    ADDRESS = "address"
    POSTAL_CODE = "postal_code"
    WEBSITE = "website"
    DATETIME = "datetime"
    DATE = "date"
    MONEY = "money"
    CURRENCY = "currency"
    ENUM = "enum"
    SCORE = "score"
    COUNT = "count"
    NUMBER = "number"
    BOOL = "bool"
    OWNER = "owner"
    SOURCE = "source"
    TEXT = "text"


class DType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    DATETIME = "datetime"
    DATE = "date"
    BOOL = "bool"


_ROLE_DTYPES: dict[Role, DType] = {
    Role.DATETIME: DType.DATETIME,
    Role.DATE: DType.DATE,
    Role.MONEY: DType.NUMBER,
    Role.SCORE: DType.NUMBER,
    Role.NUMBER: DType.NUMBER,
    Role.COUNT: DType.INTEGER,
    Role.BOOL: DType.BOOL,
}


@dataclass(frozen=True)
class Field:
    name: str
    role: Role
    description: str = ""
    references: str | None = None
    """For a foreign key: the entity whose primary key this field holds."""
    allowed: tuple[str, ...] | None = None
    """For an enum: the allowed values, in the canonical spelling."""
    scale: tuple[float, float] | None = None
    """For a score: the inclusive range of the scale (NPS 0-10, CSAT 1-5...)."""
    currency_field: str | None = None
    """For money: the sibling field holding the ISO 4217 currency of the amount."""
    required: bool = False

    @property
    def dtype(self) -> DType:
        return _ROLE_DTYPES.get(self.role, DType.STRING)


@dataclass(frozen=True)
class Entity:
    name: str
    label: str
    fields: tuple[Field, ...]
    file_names: tuple[str, ...] = ()
    """Lower-case stems a file or table of this entity is commonly called (besides `name`)."""

    def __post_init__(self) -> None:
        keys = [f for f in self.fields if f.role is Role.PRIMARY_KEY]
        if len(keys) != 1:
            raise ValueError(f"entity {self.name} must have exactly one primary key")

    @property
    def primary_key(self) -> str:
        return next(f.name for f in self.fields if f.role is Role.PRIMARY_KEY)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    def has_field(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    def fields_with_role(self, role: Role) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.role is role)


def _pk(name: str) -> Field:
    return Field(name, Role.PRIMARY_KEY, "unique record id", required=True)


def _fk(name: str, entity: str, required: bool = False) -> Field:
    return Field(name, Role.FOREIGN_KEY, f"id of the related {entity} record", references=entity, required=required)


def _enum(name: str, *values: str, required: bool = False, description: str = "") -> Field:
    return Field(name, Role.ENUM, description, allowed=values, required=required)


def _money(name: str, description: str = "", required: bool = False) -> Field:
    return Field(name, Role.MONEY, description, currency_field="currency", required=required)


def _common_tail(created_required: bool = True) -> tuple[Field, ...]:
    return (
        Field("owner", Role.OWNER, "user who owns the record"),
        Field("source", Role.SOURCE, "where the record came from (import, web form, integration...)"),
        Field("created_at", Role.DATETIME, "when the record was created", required=created_required),
        Field("updated_at", Role.DATETIME, "when the record was last modified"),
    )


OPPORTUNITY_STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost")
CLOSED_STAGES = ("Closed Won", "Closed Lost")
LEAD_STATUSES = ("New", "Working", "Nurturing", "Qualified", "Unqualified", "Converted")
ACCOUNT_SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
ACCOUNT_STATUSES = ("Prospect", "Customer", "Churned")
ACTIVITY_TYPES = ("Call", "Email", "Meeting", "Task", "Note")
TICKET_STATUSES = ("New", "Open", "Pending", "Resolved", "Closed")
TICKET_PRIORITIES = ("Low", "Medium", "High", "Urgent")
TICKET_CHANNELS = ("Email", "Phone", "Chat", "Web")
SUBSCRIPTION_STATUSES = ("Active", "Cancelled", "Expired")
CAMPAIGN_CHANNELS = ("Email", "Paid Search", "Social", "Event", "Webinar", "Display")
COST_CATEGORIES = ("marketing", "sales", "retention", "staff", "overhead", "loyalty")
OPPORTUNITY_TYPES = ("New Business", "Renewal", "Upsell")


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity(
            "accounts",
            "Accounts (companies)",
            (
                _pk("account_id"),
                Field("name", Role.COMPANY_NAME, "company name", required=True),
                Field("website", Role.WEBSITE),
                Field("industry", Role.TEXT),
                _enum("segment", *ACCOUNT_SEGMENTS, description="value segment"),
                _enum("status", *ACCOUNT_STATUSES),
                Field("employees", Role.COUNT, "number of employees"),
                _money("annual_revenue"),
                Field("currency", Role.CURRENCY, "ISO 4217 code of the money fields"),
                Field("phone", Role.PHONE),
                Field("street", Role.ADDRESS),
                Field("city", Role.CITY),
                Field("postal_code", Role.POSTAL_CODE),
                Field("country", Role.COUNTRY, "ISO 3166 country", required=True),
                Field("customer_since", Role.DATE, "date of the first won deal"),
                *_common_tail(),
            ),
            ("account", "companies", "company", "organizations", "organisations", "organization", "firmy", "klienci"),
        ),
        Entity(
            "contacts",
            "Contacts (people)",
            (
                _pk("contact_id"),
                _fk("account_id", "accounts"),
                Field("first_name", Role.PERSON_NAME, required=True),
                Field("last_name", Role.PERSON_NAME, required=True),
                Field("email", Role.EMAIL, required=True),
                Field("phone", Role.PHONE),
                Field("mobile", Role.PHONE),
                Field("title", Role.TEXT, "job title"),
                Field("street", Role.ADDRESS),
                Field("city", Role.CITY),
                Field("postal_code", Role.POSTAL_CODE),
                Field("country", Role.COUNTRY),
                Field("birth_date", Role.DATE),
                Field("email_opt_out", Role.BOOL),
                *_common_tail(),
            ),
            ("contact", "people", "persons", "person", "kontakty", "osoby"),
        ),
        Entity(
            "leads",
            "Leads",
            (
                _pk("lead_id"),
                Field("first_name", Role.PERSON_NAME),
                Field("last_name", Role.PERSON_NAME, required=True),
                Field("email", Role.EMAIL),
                Field("phone", Role.PHONE),
                Field("company", Role.COMPANY_NAME),
                Field("title", Role.TEXT),
                Field("country", Role.COUNTRY),
                Field("postal_code", Role.POSTAL_CODE),
                _enum("status", *LEAD_STATUSES, required=True),
                Field("first_response_at", Role.DATETIME, "first touch by sales (lead response time)"),
                Field("converted_at", Role.DATETIME),
                _fk("converted_contact_id", "contacts"),
                _fk("converted_account_id", "accounts"),
                _fk("converted_opportunity_id", "opportunities"),
                _fk("campaign_id", "campaigns"),
                *_common_tail(),
            ),
            ("lead", "prospects", "potencjalni_klienci", "leady"),
        ),
        Entity(
            "opportunities",
            "Opportunities (deals)",
            (
                _pk("opportunity_id"),
                _fk("account_id", "accounts", required=True),
                _fk("contact_id", "contacts"),
                _fk("lead_id", "leads"),
                Field("name", Role.TEXT, "deal name"),
                _enum("type", *OPPORTUNITY_TYPES),
                _enum("stage", *OPPORTUNITY_STAGES, required=True),
                _money("amount", "deal value"),
                Field("currency", Role.CURRENCY),
                Field("probability", Role.SCORE, "win probability in percent", scale=(0, 100)),
                Field("close_date", Role.DATE, "expected or actual close date"),
                Field("loss_reason", Role.TEXT),
                Field("competitor", Role.TEXT, "competitor the deal was lost to"),
                *_common_tail(),
            ),
            ("opportunity", "deals", "deal", "szanse", "transakcje", "okazje"),
        ),
        Entity(
            "opportunity_history",
            "Opportunity stage history",
            (
                _pk("history_id"),
                _fk("opportunity_id", "opportunities", required=True),
                _enum("stage", *OPPORTUNITY_STAGES, required=True),
                Field("entered_at", Role.DATETIME, "when the deal entered the stage", required=True),
                Field("owner", Role.OWNER),
            ),
            ("stage_history", "opportunityhistory", "deal_stages", "deal_history"),
        ),
        Entity(
            "activities",
            "Activities (calls, emails, meetings)",
            (
                _pk("activity_id"),
                _enum("type", *ACTIVITY_TYPES, required=True),
                Field("subject", Role.TEXT),
                _fk("account_id", "accounts"),
                _fk("contact_id", "contacts"),
                _fk("lead_id", "leads"),
                _fk("opportunity_id", "opportunities"),
                Field("occurred_at", Role.DATETIME, "when the activity happened", required=True),
                Field("duration_minutes", Role.NUMBER),
                *_common_tail(),
            ),
            ("activity", "tasks", "events", "engagements", "aktywnosci", "zadania"),
        ),
        Entity(
            "tickets",
            "Support tickets",
            (
                _pk("ticket_id"),
                _fk("account_id", "accounts"),
                _fk("contact_id", "contacts"),
                Field("subject", Role.TEXT),
                _enum("status", *TICKET_STATUSES, required=True),
                _enum("priority", *TICKET_PRIORITIES),
                _enum("channel", *TICKET_CHANNELS),
                Field("opened_at", Role.DATETIME, required=True),
                Field("first_response_at", Role.DATETIME),
                Field("resolved_at", Role.DATETIME),
                Field(
                    "contacts_needed",
                    Role.COUNT,
                    "customer interactions until resolution (1 = first-contact resolution)",
                ),
                *_common_tail(),
            ),
            ("ticket", "cases", "case", "zgloszenia"),
        ),
        Entity(
            "surveys",
            "Survey responses (NPS, CSAT, CES)",
            (
                _pk("response_id"),
                _fk("contact_id", "contacts"),
                _fk("account_id", "accounts"),
                _fk("ticket_id", "tickets"),
                Field("nps", Role.SCORE, "likelihood to recommend, 0-10", scale=(0, 10)),
                Field("csat", Role.SCORE, "customer satisfaction, 1-5", scale=(1, 5)),
                Field("ces", Role.SCORE, "customer effort score, 1-7", scale=(1, 7)),
                Field("responded_at", Role.DATETIME, required=True),
                Field("comment", Role.TEXT),
                *_common_tail(),
            ),
            ("survey", "survey_responses", "responses", "nps", "ankiety"),
        ),
        Entity(
            "subscriptions",
            "Subscriptions and renewals",
            (
                _pk("subscription_id"),
                _fk("account_id", "accounts", required=True),
                Field("plan", Role.TEXT),
                _money("mrr", "monthly recurring revenue"),
                Field("currency", Role.CURRENCY),
                _enum("status", *SUBSCRIPTION_STATUSES, required=True),
                Field("start_date", Role.DATE, required=True),
                Field("end_date", Role.DATE, "end of the current term"),
                Field("cancelled_at", Role.DATE),
                Field("renewed", Role.BOOL, "renewed at the end of its previous term"),
                *_common_tail(),
            ),
            ("subscription", "renewals", "contracts", "subskrypcje", "umowy"),
        ),
        Entity(
            "campaigns",
            "Marketing campaigns",
            (
                _pk("campaign_id"),
                Field("name", Role.TEXT, required=True),
                _enum("channel", *CAMPAIGN_CHANNELS),
                Field("start_date", Role.DATE),
                Field("end_date", Role.DATE),
                Field("sent", Role.COUNT),
                Field("delivered", Role.COUNT),
                Field("opened", Role.COUNT),
                Field("clicked", Role.COUNT),
                Field("unsubscribed", Role.COUNT),
                _money("cost"),
                _money("attributed_revenue"),
                Field("currency", Role.CURRENCY),
                *_common_tail(),
            ),
            ("campaign", "kampanie", "marketing"),
        ),
        Entity(
            "costs",
            "Costs by period and category",
            (
                _pk("cost_id"),
                Field("period", Role.DATE, "first day of the month the cost belongs to", required=True),
                _enum("category", *COST_CATEGORIES, required=True),
                _money("amount", required=True),
                Field("currency", Role.CURRENCY),
                _fk("campaign_id", "campaigns"),
                Field("description", Role.TEXT),
                Field("owner", Role.OWNER),
                Field("source", Role.SOURCE),
            ),
            ("cost", "expenses", "spend", "koszty", "wydatki"),
        ),
        Entity(
            "orders",
            "Order lines (invoices, sales transactions)",
            (
                # usually absent (an invoice export names a line by its invoice and position): not
                # required, and a line without one is named by its row (row:N)
                Field("line_id", Role.PRIMARY_KEY, "unique id of the order line"),
                Field("order_id", Role.TEXT, "id of the order or invoice the line belongs to (shared by its lines)"),
                _fk("account_id", "accounts"),
                _fk("contact_id", "contacts"),
                Field("product_code", Role.TEXT, "product code, SKU or stock code"),
                Field("description", Role.TEXT, "product name or line description"),
                Field("quantity", Role.NUMBER, "units ordered; negative on a return or cancellation line"),
                _money("unit_price", "price of one unit"),
                _money("amount", "line total"),
                Field("currency", Role.CURRENCY, "ISO 4217 code of the money fields"),
                Field("ordered_at", Role.DATETIME, "when the order or invoice was placed", required=True),
                Field("country", Role.COUNTRY, "country of the customer or delivery"),
                *_common_tail(created_required=False),  # ordered_at is the line's date
            ),
            (
                "order",
                "order_lines",
                "order_line",
                "order_items",
                "order_item",
                "orderitem",
                "orderitems",
                "invoices",
                "invoice",
                "invoice_lines",
                "invoice_line",
                "transactions",
                "transaction",
                "sales",
                "line_items",
                "line_item",
                "zamowienia",
                "zamówienia",
                "faktury",
            ),
        ),
    )
}


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise KeyError(f"unknown entity {name!r}{did_you_mean(name, ENTITIES)}; known: {', '.join(ENTITIES)}") from None


@dataclass(frozen=True)
class ExtraField:
    """A column the model does not know, declared by the user so rules and matching can use it."""

    name: str
    role: Role = Role.TEXT
    allowed: tuple[str, ...] | None = None
    compare: str | None = None
    extras: dict[str, object] = field(default_factory=dict)
