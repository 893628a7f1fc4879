/** @odoo-module **/

import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");
const redeemButton = "button[name=action_wholesale_redeem_points]";
const prepaymentButton = "button[name=action_wholesale_apply_prepayment_discount]";

// A sales rep starts a quotation for a Gold customer with points: no Redeem Points while the
// quotation is empty; with goods it appears, and reopening the wizard warns that the points
// already applied are replaced. Cancelled, the order no longer says it redeems points.
tours.add("wholesale_loyalty_redeem_button_tour", {
    steps: () => [
        { content: "customer", trigger: ".o_field_widget[name=partner_id] input", run: "edit Screens Gold" },
        { trigger: ".ui-menu-item > a:contains(Screens Gold Customer)", run: "click" },
        { content: "tier shown", trigger: ".o_wholesale_tier_banner .o_field_widget[name=wholesale_tier_id]:contains(Gold)" },
        {
            content: "no Redeem Points on an empty quotation",
            trigger: `.o_form_view .o_statusbar_buttons:not(:has(${redeemButton}))`,
        },
        { content: "add goods", trigger: "a:contains('Add a product')", run: "click" },
        { trigger: "div[name=product_template_id] input", run: "edit Screens goods" },
        { trigger: "ul.ui-autocomplete a:contains(Screens goods)", run: "click" },
        { content: "line priced", trigger: ".o_data_row td[name=price_subtotal]:contains(970.00)" },
        { content: "save", trigger: ".o_form_button_save", run: "click" },
        { content: "saved", trigger: ".o_form_view .o_form_saved" },
        { content: "Redeem Points with goods", trigger: redeemButton, run: "click" },
        {
            content: "nothing applied yet: no warning",
            trigger: ".modal .o_form_view:not(:has(.o_wholesale_redeem_replace))",
        },
        { trigger: ".modal .o_field_widget[name=points] input", run: "edit 30" },
        { trigger: ".modal button[name=action_apply]", run: "click" },
        { content: "points line", trigger: ".o_data_row:contains(Loyalty points redemption)" },
        { content: "30 points applied", trigger: ".o_wholesale_points_redeemed:contains(30)" },
        { content: "reopen", trigger: redeemButton, run: "click" },
        {
            content: "the wizard warns",
            trigger: ".modal .o_wholesale_redeem_replace:contains(This order already uses 30 points; applying replaces them.)",
        },
        { trigger: ".modal .o_field_widget[name=points] input", run: "edit 40" },
        { trigger: ".modal button[name=action_apply]", run: "click" },
        { content: "replaced", trigger: ".o_wholesale_points_redeemed:contains(40)" },
        { content: "confirm", trigger: "button[name=action_confirm]", run: "click" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Sales Order)" },
        { content: "redeemed here", trigger: ".o_wholesale_points_redeemed:contains(40)" },
        { content: "cancel", trigger: ".o_statusbar_buttons button[name=action_cancel]", run: "click" },
        { trigger: ".modal footer button[name=action_cancel]", run: "click" },
        { trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Cancelled)" },
        {
            content: "a cancelled order redeems nothing",
            trigger: ".o_wholesale_points_summary:not(:has(.o_wholesale_points_redeemed))",
        },
    ],
});

// A billing accountant (no loyalty rights) on a draft invoice whose terms give a prepayment
// discount: the tier shows, the button applies the discount once and then goes.
tours.add("wholesale_loyalty_prepayment_button_tour", {
    steps: () => [
        { content: "tier on the invoice", trigger: ".o_wholesale_invoice_tier .o_field_widget[name=wholesale_tier_name]:contains(Gold)" },
        { content: "apply", trigger: prepaymentButton, run: "click" },
        { content: "discount line", trigger: ".o_field_widget[name=invoice_line_ids] .o_data_row:contains(Prepayment discount)" },
        {
            content: "applied once, the button is gone",
            trigger: `.o_form_view .o_statusbar_buttons:has(button[name=action_post]):not(:has(${prepaymentButton}))`,
        },
    ],
});

// The same accountant on a draft invoice whose terms have no prepayment rule: no button.
tours.add("wholesale_loyalty_no_prepayment_button_tour", {
    steps: () => [
        { content: "tier on the invoice", trigger: ".o_wholesale_invoice_tier:contains(Gold)" },
        {
            content: "no prepayment discount to apply",
            trigger: `.o_form_view .o_statusbar_buttons:has(button[name=action_post]):not(:has(${prepaymentButton}))`,
        },
    ],
});

// A portal customer: the loyalty card is the size of the other cards, points have thousands
// separators and the history keeps its Expires column.
tours.add("wholesale_loyalty_portal_screens_tour", {
    url: "/my",
    steps: () => [
        {
            content: "a small pictogram, as the other cards",
            trigger: "a[href='/my/wholesale-loyalty'] .o_portal_icon img",
            run() {
                const height = this.anchor.getBoundingClientRect().height;
                if (height > 64) {
                    throw new Error(`The loyalty card's icon is ${height}px high`);
                }
            },
        },
        { content: "open", trigger: "a[href='/my/wholesale-loyalty']", run: "click", expectUnloadPage: true },
        { content: "balance", trigger: ".o_wholesale_balance:contains(12,620)" },
        { content: "ledger points", trigger: ".o_wholesale_ledger_row:contains(Trade fair) .o_wholesale_points:contains(12,500)" },
        { content: "Expires column", trigger: "th.o_wholesale_expires:not(.d-none)" },
        { content: "expiry date", trigger: ".o_wholesale_ledger_row:contains(Trade fair) td.o_wholesale_expires:not(.d-none) span" },
    ],
});

// The portal invoice shows the cash-discount offer of its payment terms.
tours.add("wholesale_loyalty_portal_invoice_offer_tour", {
    steps: () => [
        { content: "offer", trigger: ":iframe .o_wholesale_early_payment_offers:contains(Pay by)" },
        { content: "3% off", trigger: ":iframe .o_wholesale_early_payment_offer:contains(9,700.00):contains(300.00)" },
        { content: "2% off", trigger: ":iframe .o_wholesale_early_payment_offer:contains(9,800.00):contains(200.00)" },
    ],
});
