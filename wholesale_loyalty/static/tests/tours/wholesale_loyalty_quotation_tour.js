/** @odoo-module **/

import { registry } from "@web/core/registry";

// A sales rep opens a quotation of a Gold customer: tier badge, benefits and the spend to
// reach Platinum are in the header; the rep redeems points and confirms the order.
registry.category("web_tour.tours").add("wholesale_loyalty_quotation_tour", {
    steps: () => [
        { content: "tier badge", trigger: ".o_wholesale_tier_banner .o_field_widget[name=wholesale_tier_id]:contains(Gold)" },
        { content: "benefits", trigger: ".o_wholesale_tier_benefits:contains(Free shipping)" },
        { content: "next tier", trigger: ".o_wholesale_next_tier:contains(more to reach Platinum)" },
        { content: "redeem points", trigger: "button[name=action_wholesale_redeem_points]", run: "click" },
        { trigger: ".modal .o_field_widget[name=points] input", run: "edit 30" },
        { content: "apply", trigger: ".modal button[name=action_apply]", run: "click" },
        { content: "discount line", trigger: ".o_data_row:contains(Loyalty points redemption)" },
        { content: "confirm", trigger: "button[name=action_confirm]:not(.o_invisible_modifier)", run: "click" },
        { content: "confirmed", trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Sales Order)" },
    ],
});
