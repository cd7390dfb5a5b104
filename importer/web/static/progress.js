// Live progress on the sending page: listens to /runs/{id}/events (server-sent events) and
// writes what each event says into the page, then opens the results when the send has ended.
// No library, no inline script (CSP default-src 'self'); without it the page reloads itself
// (<noscript> meta refresh). The words come from the server, in the page's language.
"use strict";

(function () {
  var box = document.getElementById("progress");
  if (!box || !box.dataset.run || !window.EventSource) {
    return;
  }
  var source = new EventSource("/runs/" + encodeURIComponent(box.dataset.run) + "/events");

  function part(name) {
    return box.querySelector('[data-show="' + name + '"]');
  }

  function write(name, text) {
    var element = part(name);
    if (element) {
      element.textContent = text;
    }
  }

  source.addEventListener("progress", function (event) {
    var data = JSON.parse(event.data);
    write("line", data.shown.line);
    write("pace", data.shown.pace);
    var bar = box.querySelector("progress");
    if (bar) {
      bar.max = Math.max(data.total, 1);
      bar.value = data.done;
    }
    var list = part("counts");
    if (list) {
      list.replaceChildren.apply(list, data.shown.counts.map(function (text) {
        var item = document.createElement("li");
        item.textContent = text;
        return item;
      }));
    }
    part("stopping").hidden = !data.stopping;
    part("stop").hidden = data.stopping || data.state !== "sending";
    box.dataset.state = data.state;
  });

  source.addEventListener("end", function (event) {
    source.close();
    window.location.replace(JSON.parse(event.data).url);
  });
})();
