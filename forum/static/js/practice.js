// The story form's practice rows: offer only the assessments of the step the writer chose.
// Each assessment <option> names its step (data-step); the groups of other steps are hidden, not disabled, so a
// choice already made is still sent and the server's check (the assessment must serve the story's step) answers it.
(function () {
  "use strict";

  function showStep(form) {
    var step = form.querySelector("select[name=step]");
    var chosen = step ? step.value : "";
    form.querySelectorAll("select[name$='-assessment']").forEach(function (select) {
      select.querySelectorAll("optgroup").forEach(function (group) {
        var option = group.querySelector("option[data-step]");
        group.hidden = Boolean(chosen) && option !== null && option.getAttribute("data-step") !== chosen;
      });
      // An assessment offered for two steps (AMBOSS) appears in both groups: keep the choice on a visible copy.
      var selected = select.options[select.selectedIndex];
      if (selected && selected.parentElement.hidden) {
        Array.prototype.forEach.call(select.options, function (option) {
          if (option.value === selected.value && !option.parentElement.hidden) {
            option.selected = true;
          }
        });
      }
    });
  }

  document.querySelectorAll("form.story-form").forEach(function (form) {
    showStep(form);
    form.addEventListener("change", function (event) {
      if (event.target.name === "step") {
        showStep(form);
      }
    });
  });
})();
