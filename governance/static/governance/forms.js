// Live help on the pilot page's forms (a file: the Content-Security-Policy forbids inline script).
// - Under a metric <select>, the chosen metric's description, unit, range and example.
// - Under the kill-criterion form, the criterion in plain words as it is typed. The sentence is
//   the same one the server writes (KillCriterion.plain_words in governance/models/pilots.py);
//   the "Check and preview" button gets it from the server when script is off.
(function () {
  "use strict";

  function plainNumber(text) {
    // Decimal.normalize() then "f": no trailing zeros, no exponent ("20.50" -> "20.5").
    var value = String(text).trim();
    if (!/^-?\d*\.?\d+$/.test(value) && !/^-?\d+\.$/.test(value)) return null;
    var negative = value.charAt(0) === "-";
    if (negative) value = value.slice(1);
    var parts = value.split(".");
    var whole = parts[0].replace(/^0+(?=\d)/, "") || "0";
    var fraction = (parts[1] || "").replace(/0+$/, "");
    var out = fraction ? whole + "." + fraction : whole;
    return negative && out !== "0" ? "-" + out : out;
  }

  function selected(select) {
    return select && select.selectedIndex >= 0 ? select.options[select.selectedIndex] : null;
  }

  function metricHint(form) {
    var select = form.querySelector("select[name=metric]");
    var hint = form.querySelector("[data-metric-hint]");
    if (!select || !hint) return;
    var update = function () {
      var option = selected(select);
      hint.textContent = option && option.dataset.name
        ? option.dataset.description + " In " + option.dataset.hint + "."
        : "";
    };
    select.addEventListener("change", update);
    update();
  }

  function killSentence(form) {
    var field = function (name) { return form.querySelector("[name=" + name + "]"); };
    var metric = selected(field("metric"));
    var comparator = field("comparator").value;
    var threshold = plainNumber(field("threshold").value);
    if (!metric || !metric.dataset.name || !comparator || threshold === null) return null;
    var name = metric.dataset.name;
    var subject = name.charAt(0).toLowerCase() + name.slice(1);
    var tier = selected(field("tier"));
    if (tier && tier.value) subject += " (" + tier.text.toLowerCase() + " PRs)";
    var condition;
    if (comparator === "worse_pct") condition = "is " + threshold + "% worse than baseline";
    else if (comparator === "above") condition = "is above " + threshold + " " + metric.dataset.unit;
    else condition = "is below " + threshold + " " + metric.dataset.unit;
    if (field("require_clear_breach").checked) {
      condition = "is clearly " + condition.replace(/^is /, "") +
        " (its 95% interval wholly beyond the limit)";
    }
    // An empty or unreadable number falls back to the form's default, as on the server.
    var number = function (name) {
      var input = field(name);
      return plainNumber(input.value) || plainNumber(input.defaultValue) || "";
    };
    var periods = number("consecutive_periods");
    var from = number("evaluate_from_day");
    var minimum = number("min_sample_size");
    return "kill if " + subject + " " + condition + " for " + periods + " period" +
      (periods !== "1" ? "s" : "") + " after day " + from +
      ", counting only periods with a sample of at least " + minimum;
  }

  function killPreview(form) {
    var out = document.getElementById("kill-preview");
    if (!out) return;
    var update = function () {
      out.textContent = killSentence(form) || out.dataset.empty;
    };
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var forms = document.querySelectorAll("form.guided");
    for (var i = 0; i < forms.length; i++) metricHint(forms[i]);
    var kill = document.getElementById("kill-form");
    if (kill) killPreview(kill);
  });
})();
