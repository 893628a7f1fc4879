/** @odoo-module **/

import { registry } from "@web/core/registry";

// A portal customer finds the loyalty page from My Account and sees tier, balance and ledger.
registry.category("web_tour.tours").add("wholesale_loyalty_portal_tour", {
    url: "/my",
    steps: () => [
        { content: "loyalty entry", trigger: "a[href='/my/wholesale-loyalty']", run: "click", expectUnloadPage: true },
        { content: "tier", trigger: ".o_wholesale_tier:contains(Gold)" },
        { content: "balance", trigger: ".o_wholesale_balance:contains(120)" },
        { content: "ledger", trigger: ".o_wholesale_ledger_row:contains(Webinar attended)" },
    ],
});
