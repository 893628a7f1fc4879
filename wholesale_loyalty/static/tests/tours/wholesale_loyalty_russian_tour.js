/** @odoo-module **/

import { registry } from "@web/core/registry";

// A Russian-speaking loyalty administrator reads on a Russian customer the tier change in the
// chatter and the points ledger, both written in Russian by the add-on.
registry.category("web_tour.tours").add("wholesale_loyalty_russian_tour", {
    steps: () => [
        {
            content: "the tier change in the chatter, in Russian",
            trigger: ".o-mail-Message-body:contains(Уровень лояльности изменен с Серебро на Золото)",
        },
        {
            content: "open the points ledger",
            trigger: ".oe_stat_button[name='action_wholesale_view_ledger']",
            run: "click",
        },
        {
            content: "the points earned by the invoice, described in Russian",
            trigger: ".o_data_row td[name='note']:contains(Счет INV/)",
        },
    ],
});
