from urllib.parse import urlsplit

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, ormcache

from ..tools.access import LOYALTY_MANAGER, check_caller_groups
from ..tools.webhooks import EVENT_TYPE_CODES, EVENT_TYPES, new_secret, parse_event_types


class WholesaleLoyaltyWebhook(models.Model):
    """An endpoint of an outside system (a CRM) told of loyalty events of its company.

    The signing secret is never read back: it lives in a column of its own that no field
    maps (see :meth:`init`), is shown once when the endpoint is made or when it is rotated,
    and is read by the delivery only (``wholesale.loyalty.event``).
    """

    _name = "wholesale.loyalty.webhook"
    _description = "Wholesale Loyalty Event Endpoint"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "company_id, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    url = fields.Char(
        string="URL", required=True, tracking=True,
        help="Where the events are posted (http or https); any 2xx answer means delivered.",
    )
    secret = fields.Char(
        compute="_compute_secret", inverse="_inverse_secret", default=lambda self: new_secret(), copy=False,
        help="Signs every delivery (HMAC-SHA256 keyed with its UTF-8 bytes). Shown once: copy it into the "
        "receiving system before saving. It is never shown again; rotate it to get a new one.",
    )
    secret_hint = fields.Char(
        string="Secret Ends With", readonly=True, copy=False,
        help="The last characters of the secret, to tell which one the receiving system holds.",
    )
    event_types = fields.Char(
        help="Comma-separated event types this endpoint receives; empty for all of them: "
        + ", ".join(code for code, _label in EVENT_TYPES) + ".",
    )
    company_id = fields.Many2one(
        "res.company", required=True, ondelete="cascade", index=True, default=lambda self: self.env.company,
    )
    active = fields.Boolean(default=True, tracking=True)
    failure_count = fields.Integer(
        string="Failures in a Row", readonly=True, copy=False,
        help="Deliveries that failed since the last one that went through. The endpoint is archived when an "
        "event uses up its tries while it fails.",
    )
    paused_until = fields.Datetime(
        readonly=True, copy=False,
        help="The endpoint did not answer: no delivery is tried before this time.",
    )
    last_success_at = fields.Datetime(string="Last Delivery", readonly=True, copy=False)
    event_ids = fields.One2many("wholesale.loyalty.event", "webhook_id", string="Events")
    pending_count = fields.Integer(string="Pending Events", compute="_compute_event_counts")
    failed_count = fields.Integer(string="Failed Events", compute="_compute_event_counts")

    def init(self):
        # The secret is no field: nothing an RPC client reads or exports can reach it.
        self.env.cr.execute(SQL(
            "ALTER TABLE wholesale_loyalty_webhook ADD COLUMN IF NOT EXISTS signing_secret VARCHAR"
        ))

    def _compute_secret(self):
        for webhook in self:
            webhook.secret = False

    def _inverse_secret(self):
        self.flush_recordset()
        for webhook in self:
            secret = (webhook.secret or "").strip()
            if not secret:
                raise ValidationError(self.env._(
                    "Endpoint %(name)s needs a signing secret: enter one or keep the one proposed.",
                    name=webhook.name,
                ))
            self.env.cr.execute(SQL(
                "UPDATE wholesale_loyalty_webhook SET signing_secret = %s WHERE id = %s", secret, webhook.id,
            ))
            webhook.secret_hint = "…" + secret[-4:]
        # Not even the answer to the save that set it carries it back.
        self.invalidate_recordset(["secret"])

    @api.depends("event_ids.state")
    def _compute_event_counts(self):
        counts = {
            (webhook.id, state): count for webhook, state, count in self.env["wholesale.loyalty.event"]._read_group(
                [("webhook_id", "in", self.ids), ("state", "in", ("pending", "failed"))], ["webhook_id", "state"],
                ["__count"],
            )
        }
        for webhook in self:
            webhook.pending_count = counts.get((webhook.id, "pending"), 0)
            webhook.failed_count = counts.get((webhook.id, "failed"), 0)

    @api.constrains("url")
    def _check_url(self):
        for webhook in self:
            parts = urlsplit((webhook.url or "").strip())
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValidationError(self.env._(
                    "The URL of endpoint %(name)s must be a web address starting with http:// or https:// "
                    "(got %(url)s).",
                    name=webhook.name, url=webhook.url,
                ))

    @api.constrains("event_types")
    def _check_event_types(self):
        for webhook in self:
            unknown = [code for code in parse_event_types(webhook.event_types) if code not in EVENT_TYPE_CODES]
            if unknown:
                raise ValidationError(self.env._(
                    "Unknown event types for endpoint %(name)s: %(unknown)s. Known types: %(known)s.",
                    name=webhook.name, unknown=", ".join(unknown),
                    known=", ".join(code for code, _label in EVENT_TYPES),
                ))

    @api.model_create_multi
    def create(self, vals_list):
        webhooks = super().create(vals_list)
        self.env.registry.clear_cache()  # _endpoints
        return webhooks

    def write(self, vals):
        if "url" in vals or vals.get("active"):
            # A new address, or an endpoint back in service: it is tried at once again.
            vals = {**vals, "failure_count": 0, "paused_until": False}
        result = super().write(vals)
        if {"active", "company_id", "event_types"} & set(vals):
            self.env.registry.clear_cache()  # _endpoints
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # _endpoints
        return result

    # ------------------------------------------------------------------ actions

    def action_rotate_secret(self):
        """Give the endpoint a new signing secret and show it, once (loyalty administrators
        only). Deliveries from now on are signed with it."""
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        secret = new_secret()
        self.secret = secret
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("New secret of %(name)s", name=self.name),
                "message": self.env._(
                    "%(secret)s — copy it into the receiving system now: it is not shown again.", secret=secret
                ),
                "sticky": True,
                "type": "warning",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_view_events(self):
        """The events queued for this endpoint (loyalty administrators only)."""
        check_caller_groups(self.env, LOYALTY_MANAGER)
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("wholesale_loyalty.wholesale_loyalty_event_action")
        action["domain"] = [("webhook_id", "=", self.id)]
        action["context"] = {"search_default_not_sent": 1}
        return action

    # ------------------------------------------------------------------ what the outbox reads

    @api.model
    @ormcache()
    def _endpoints(self):
        """{company id: ((endpoint id, frozenset of its event types, or None for all), ...)}
        of the active endpoints: read once per registry, dropped whenever an endpoint
        changes, so that a change made without endpoints costs no query."""
        self.flush_model(["active", "company_id", "event_types"])
        rows = self.env.execute_query(SQL(
            "SELECT id, company_id, event_types FROM wholesale_loyalty_webhook WHERE active ORDER BY id"
        ))
        endpoints = {}
        for webhook_id, company_id, event_types in rows:
            types = frozenset(parse_event_types(event_types)) or None
            endpoints[company_id] = (*endpoints.get(company_id, ()), (webhook_id, types))
        return endpoints

    def _managers(self):
        """The loyalty administrators of the endpoint's company, who hear of its failures."""
        self.ensure_one()
        group = self.env.ref("wholesale_loyalty.group_wholesale_loyalty_manager")
        return group.sudo().users.filtered(
            lambda user: not user.share and user.active and self.company_id in user.company_ids
            and user.id != self.env.ref("base.user_root").id
        )

    def _disable(self, reason):
        """Archive endpoints that keep failing and tell the administrators: an activity on the
        endpoint for each, and a mail."""
        self.write({"active": False})
        template = self.env.ref("wholesale_loyalty.mail_template_webhook_disabled", raise_if_not_found=False)
        for webhook in self:
            managers = webhook._managers()
            for user in managers:
                webhook.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("Event endpoint %(name)s archived", name=webhook.name),
                    note=reason,
                    user_id=user.id,
                )
            recipients = managers.partner_id.filtered("email")
            if template and recipients:
                template.send_mail(webhook.id, email_values={"recipient_ids": [Command.set(recipients.ids)]})
