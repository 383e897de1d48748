/*
 * SOP Portal calculators: the go-live credit, fee change and due-date widgets.
 *
 * The forms are written into the pages at build time by hooks/calc_markers.py; this script
 * sends them to the portal's calculator API (/api/v1/...) and shows the answer. It starts
 * from Material's document$ so it also runs after instant navigation, and it says clearly
 * when the API cannot be reached (the static site served without the gate).
 */
(function () {
  "use strict";

  var API = "/api/v1/";
  var UNREACHABLE =
    "The calculator service cannot be reached. This page is being served without the " +
    "SOP Portal gate (for example as plain static files), so the calculators cannot run " +
    "here. The worked examples in the procedures still apply.";

  var ENDPOINTS = {
    "proration": "prorate/go-live",
    "fee-change": "prorate/change",
    "due-date": "due-date"
  };

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function money(amount, currency) {
    try {
      return new Intl.NumberFormat("en-US", { style: "currency", currency: currency })
        .format(Number(amount));
    } catch (error) {
      return amount + " " + currency;
    }
  }

  var NBSP = "\u00a0";  // dates never wrap in the middle, even on a phone
  var DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
    "Dec"];
  var MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December"];

  /* "2026-11-20" -> "Fri, Nov 20, 2026" (as the worked examples on the pages write it). */
  function humanDate(iso) {
    var match = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    if (!match) return iso || "";
    var year = Number(match[1]), month = Number(match[2]), day = Number(match[3]);
    var weekday = DAYS[new Date(Date.UTC(year, month - 1, day)).getUTCDay()];
    return [weekday + ",", MONTHS[month - 1], day + ",", year].join(NBSP);
  }

  /* "2026-03" -> "March 2026". */
  function humanMonth(iso) {
    var match = /^(\d{4})-(\d{2})$/.exec(iso || "");
    return match ? MONTH_NAMES[Number(match[2]) - 1] + NBSP + match[1] : (iso || "");
  }

  /* "2026-11-20T14:00:00+02:00" -> "Fri, Nov 20, 2026, 14:00" (local time of the billing). */
  function localDateTime(iso) {
    if (!iso) return "";
    var match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
    return match ? humanDate(match[1]) + "," + NBSP + match[2] : iso;
  }

  /* "November 18, 2026" in a sentence never breaks across lines. */
  var SPELLED_DATE = new RegExp("(" + MONTH_NAMES.join("|") + ") (\\d{1,2}), (\\d{4})", "g");

  function keepDatesTogether(sentence) {
    return String(sentence || "").replace(SPELLED_DATE, "$1" + NBSP + "$2," + NBSP + "$3");
  }

  /* The account type as the form's list names it ("Debit order"), not its code. */
  function accountTypeName(form, code) {
    var select = form.elements.namedItem("account_type");
    var options = select && select.options ? Array.prototype.slice.call(select.options) : [];
    for (var i = 0; i < options.length; i += 1) {
      if (options[i].value === code) return options[i].textContent.trim();
    }
    return code;
  }

  function pad(number) {
    return number < 10 ? "0" + number : String(number);
  }

  function nowLocal() {
    var now = new Date();
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate()) +
      "T" + pad(now.getHours()) + ":" + pad(now.getMinutes());
  }

  function radioValue(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : "";
  }

  function fieldBox(form, name) {
    var control = form.elements.namedItem(name);
    return control && control.closest ? control.closest(".sop-calc__field") : null;
  }

  /* Show only the inputs that apply (account type or terms, sign-off or invoice date). */
  function syncChoices(form) {
    var basis = radioValue(form, "basis") || "account_type";
    var start = radioValue(form, "start") || "completed";
    [["account_type", basis === "account_type"], ["terms", basis === "terms"],
      ["completed", start === "completed"], ["invoice_date", start === "invoice_date"]]
      .forEach(function (pair) {
        var box = fieldBox(form, pair[0]);
        var control = form.elements.namedItem(pair[0]);
        if (box) box.hidden = !pair[1];
        if (control) control.disabled = !pair[1];
      });
  }

  function setupDueDate(form) {
    var completed = form.elements.namedItem("completed");
    var invoice = form.elements.namedItem("invoice_date");
    if (completed && !completed.value) completed.value = nowLocal();
    if (invoice && !invoice.value) invoice.value = nowLocal().slice(0, 10);
    form.addEventListener("change", function (event) {
      if (event.target && (event.target.name === "basis" || event.target.name === "start")) {
        syncChoices(form);
      }
    });
    syncChoices(form);
  }

  function copyFields(form, params, names) {
    names.forEach(function (name) {
      params.set(name, form.elements.namedItem(name).value);
    });
  }

  function query(form, kind) {
    var params = new URLSearchParams();
    if (kind === "proration" || kind === "fee-change") {
      copyFields(form, params, kind === "proration" ? ["monthly_fee", "go_live"] :
        ["old_fee", "new_fee", "change_date"]);
      params.set("method", radioValue(form, "method") || "actual");
      return params;
    }
    var basis = radioValue(form, "basis") || "account_type";
    var start = radioValue(form, "start") || "completed";
    copyFields(form, params, [basis, start]);
    var amount = form.elements.namedItem("amount");
    if (amount && amount.value.trim() !== "") params.set("amount", amount.value);
    return params;
  }

  function clearState(widget) {
    var error = widget.querySelector(".sop-calc__error");
    var result = widget.querySelector(".sop-calc__result");
    error.hidden = true;
    error.textContent = "";
    result.hidden = true;
    widget.querySelectorAll("[aria-invalid]").forEach(function (control) {
      control.removeAttribute("aria-invalid");
    });
  }

  /* The text of the form's label (or legend) for the control named `field`. */
  function labelFor(form, field) {
    var control = form.elements.namedItem(field);
    if (!control) return "";
    if (control.id) {
      var label = form.querySelector('label[for="' + control.id + '"]');
      if (label) return label.textContent.trim();
    }
    var first = control.length ? control[0] : control;
    var group = first.closest ? first.closest("fieldset") : null;
    var legend = group ? group.querySelector("legend") : null;
    return legend ? legend.textContent.trim() : "";
  }

  /* The API's message in the form's words: its labels instead of the API's field names. */
  function formMessage(form, message, field) {
    var label = field ? labelFor(form, field) : "";
    if (!label) return message;
    var text = message;
    if (field.indexOf("_") !== -1) {
      text = text.split(field).join(label);  // names like monthly_fee are never plain words
    } else if (text.indexOf(field + " ") === 0) {
      text = label + text.slice(field.length);
    }
    return text.indexOf(label) === 0 ? text : label + ": " + text;
  }

  function showError(widget, message, field) {
    var error = widget.querySelector(".sop-calc__error");
    error.textContent = formMessage(widget.querySelector("form"), message, field);
    error.hidden = false;
    var form = widget.querySelector("form");
    var control = field ? form.elements.namedItem(field) : null;
    if (control && control.focus && !control.disabled) {
      control.setAttribute("aria-invalid", "true");
      control.focus();
    }
  }

  function addRow(list, label, value) {
    if (value === null || value === undefined || value === "") return;
    list.appendChild(element("dt", null, label));
    list.appendChild(element("dd", null, value));
  }

  function prorationRows(list, body) {
    addRow(list, "Credit on the first invoice", money(body.credit, body.currency));
    addRow(list, "First invoice", humanDate(body.first_invoice_date) + ", total " +
      money(body.first_invoice_total, body.currency));
    addRow(list, "First full month", humanMonth(body.first_full_month));
    addRow(list, "Days before go-live",
      body.days_before_go_live + " of " + body.days_in_month);
  }

  function feeChangeRows(list, body) {
    var net = Number(body.net);
    var netWords = net < 0 ? " (credit note)" : net > 0 ? " (to charge)" : " (nothing to bill)";
    addRow(list, "Credit for the unused old fee", money(body.credit_unused, body.currency));
    addRow(list, "Charge at the new fee", money(body.charge_remaining, body.currency));
    addRow(list, "Net", money(Math.abs(net).toFixed(2), body.currency) + netWords);
    addRow(list, "Days at the new fee", body.days_remaining + " of " + body.days_in_month);
    if (body.change !== "cancellation") {
      addRow(list, "First month in full at the new fee", humanMonth(body.next_full_month));
    }
  }

  function paymentRows(list, body) {
    addRow(list, "Invoice amount", body.amount && money(body.amount, body.currency));
    (body.instalments || []).forEach(function (part, index) {
      var amount = part.amount ? ", " + money(part.amount, body.currency) : "";
      addRow(list, "Instalment " + (index + 1), part.percent + "%" + amount + ", due " +
        humanDate(part.due_date));
    });
    if (body.discount) {
      var off = body.discount.amount ? " (" + money(body.discount.amount, body.currency) + ")" : "";
      addRow(list, "Early-payment discount", body.discount.percent + "%" + off +
        " if paid by " + humanDate(body.discount.until));
    }
  }

  function dueDateRows(list, body, form) {
    addRow(list, "Account type", body.account_type && accountTypeName(form, body.account_type));
    addRow(list, "Payment terms", body.terms);
    addRow(list, "Signed off", localDateTime(body.completed));
    if (body.period_end) {
      addRow(list, "Billing run or close", localDateTime(body.period_end));
      addRow(list, "Covers sign-offs after", localDateTime(body.period_start));
    }
    addRow(list, "Invoice date", humanDate(body.invoice_date));
    paymentRows(list, body);
    if (body.unadjusted_due_date !== body.due_date) {
      addRow(list, "The terms give", humanDate(body.unadjusted_due_date));
    }
    addRow(list, "Due date", humanDate(body.due_date) +
      (body.due_date_is_business_day ? "" : " (not a business day)"));
    (body.holidays || []).forEach(function (holiday) {
      addRow(list, "Public holiday", holiday.name + " (" + humanDate(holiday.date) + ")");
    });
  }

  function showResult(widget, kind, body) {
    var result = widget.querySelector(".sop-calc__result");
    result.textContent = "";
    var list = element("dl", "sop-calc__figures");
    var rows = { "proration": prorationRows, "fee-change": feeChangeRows, "due-date": dueDateRows };
    rows[kind](list, body, widget.querySelector("form"));
    result.appendChild(list);
    result.appendChild(element("p", "sop-calc__explanation", keepDatesTogether(body.explanation)));
    result.hidden = false;
  }

  function calculate(widget, kind) {
    var form = widget.querySelector("form");
    var button = form.querySelector("button[type=submit]");
    clearState(widget);
    button.disabled = true;
    widget.setAttribute("aria-busy", "true");
    var url = API + ENDPOINTS[kind] + "?" + query(form, kind).toString();
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) throw new Error("not the API");
        return response.json().then(function (body) {
          return { status: response.status, body: body };
        });
      })
      .then(function (answer) {
        if (answer.status === 200) {
          showResult(widget, kind, answer.body);
        } else if (answer.body && answer.body.error) {
          showError(widget, answer.body.error.message, answer.body.error.field);
        } else {
          throw new Error("unexpected answer");
        }
      })
      .catch(function () {
        showError(widget, UNREACHABLE, null);
        widget.classList.add("sop-calc--offline");
      })
      .then(function () {
        button.disabled = false;
        widget.removeAttribute("aria-busy");
      });
  }

  function start() {
    document.querySelectorAll("[data-sop-calc]").forEach(function (widget) {
      if (widget.getAttribute("data-sop-calc-ready")) return;
      widget.setAttribute("data-sop-calc-ready", "true");
      var kind = widget.getAttribute("data-sop-calc");
      var form = widget.querySelector("form");
      if (!ENDPOINTS[kind] || !form) return;
      if (kind === "due-date") setupDueDate(form);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        calculate(widget, kind);
      });
    });
  }

  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(start);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
