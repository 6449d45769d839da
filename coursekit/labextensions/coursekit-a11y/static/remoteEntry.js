/* coursekit-a11y: the accessible names that JupyterLab 4 and ipywidgets 8 leave out (issue 19).
 *
 * What a screen reader (and axe-core, rule in brackets) gets in JupyterLab and on the Voilà page:
 * - each slider handle (noUiSlider, role=slider) is named by its slider's description, and stays
 *   named when the label changes or the slider is redrawn        [aria-input-field-name]
 * - each CodeMirror editor is named by what it edits, e.g. "Code cell input"
 *                                                                 [aria-input-field-name]
 * - the cells of a notebook are the articles of its feed           [aria-required-children]
 * - a heading's collapse button says what it does and to which section, and whether that
 *   section is expanded                                           [button-name]
 * - an image output carries the alt text stored in its output's metadata
 *   (metadata["image/png"].alt: coursekit's figures describe themselves there) [image-alt]
 *
 * This file is the whole extension, written by hand: no build step. JupyterLab and Voilà load a
 * prebuilt ("federated") extension by running its remoteEntry script, then calling
 * init(shareScope) and get("./extension") on window._JUPYTERLAB[name]; this file offers that
 * interface. JupyterLab's services are looked up by token objects, so the tokens (and the
 * classes we extend) are taken from the modules the page itself runs, found in the share scope.
 */
(function () {
  "use strict";

  const NAME = "coursekit-a11y";
  let shareScope = {};

  function versionKey(version) {
    return version.split(/[.+-]/).map(part => (/^\d+$/.test(part) ? Number(part) : -1));
  }

  function newerFirst(a, b) {
    const [x, y] = [versionKey(a), versionKey(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
    }
    return 0;
  }

  /* A promise that gives up (null) after ``ms``: the page must start even if a module hangs. */
  function within(promise, ms) {
    return Promise.race([promise, new Promise(resolve => setTimeout(() => resolve(null), ms))]);
  }

  /* The shared module ``name`` as the page uses it: among the copies offered with a real
   * version (on the Voilà page, extensions that fail to load leave "undefined" ones behind,
   * whose getters never work), the one already loaded, else the newest; null when the page
   * shares no such module (Voilà has no cell editors) or it does not load within 5 s. */
  async function shared(name) {
    const versions = shareScope[name] ?? {};
    const offered = Object.keys(versions).filter(v => /^\d+\.\d+/.test(v)).sort(newerFirst);
    const version = offered.find(v => versions[v].loaded) ?? offered[0];
    if (version === undefined) return null;
    try {
      const factory = await within(Promise.resolve(versions[version].get()), 5000);
      if (typeof factory !== "function") throw new Error("no module factory within 5 s");
      return factory();
    } catch (error) {
      console.warn(`${NAME}: cannot load ${name} ${version}`, error);
      return null;
    }
  }

  function setAttribute(element, name, value) {
    if (element.getAttribute(name) !== value) element.setAttribute(name, value);
  }

  /* ipywidgets 8 draws a slider as <label class="widget-label">description</label> beside a
   * noUiSlider whose handle has role=slider but no name. */
  function nameSliderHandles(root) {
    for (const slider of root.querySelectorAll(".widget-slider")) {
      const label = slider.querySelector(".widget-label");
      const name = (label?.textContent ?? "").trim() || (slider.getAttribute("title") ?? "");
      if (!name) continue;
      const handles = slider.querySelectorAll(".noUi-handle");
      handles.forEach((handle, i) => {
        const end = handles.length > 1 ? (i === 0 ? " (lower end)" : " (upper end)") : "";
        setAttribute(handle, "aria-label", name + end);
      });
    }
  }

  /* JupyterLab's notebook viewport has role=feed, whose units must be articles. */
  function markFeedArticles(root) {
    for (const feed of root.querySelectorAll('.jp-WindowedPanel-viewport[role="feed"]')) {
      for (const child of feed.children) {
        if (child.classList.contains("jp-Cell") && !child.hasAttribute("role")) {
          child.setAttribute("role", "article");
        }
      }
    }
  }

  /* The button in a Markdown heading's prompt folds the cells under that heading. */
  function nameHeadingButtons(root) {
    for (const button of root.querySelectorAll("button.jp-collapseHeadingButton")) {
      const collapsed = button.classList.contains("jp-mod-collapsed");
      const heading = button.closest(".jp-Cell")
        ?.querySelector(".jp-RenderedMarkdown :is(h1, h2, h3, h4, h5, h6)");
      const title = (heading?.textContent ?? "").replace(/¶\s*$/, "").trim();
      setAttribute(button, "aria-label",
                   `${collapsed ? "Expand" : "Collapse"} section${title ? ": " + title : ""}`);
      setAttribute(button, "aria-expanded", String(!collapsed));
    }
  }

  function nameAll(root) {
    nameSliderHandles(root);
    markFeedArticles(root);
    nameHeadingButtons(root);
  }

  /* One pass per animation frame after any change: widgets and cells are drawn, redrawn and
   * virtualised at any time, so the names are kept up rather than set once. */
  const namesPlugin = {
    id: `${NAME}:names`,
    description: "Names slider handles and collapse buttons; makes notebook cells feed articles.",
    autoStart: true,
    activate() {
      const root = document.body;
      let queued = false;
      const pass = () => {
        queued = false;
        nameAll(root);
      };
      new MutationObserver(() => {
        if (!queued) {
          queued = true;
          requestAnimationFrame(pass);
        }
      }).observe(root, {childList: true, subtree: true, characterData: true,
                        attributes: true, attributeFilter: ["class"]});
      pass();
    },
  };

  const CELL_EDITOR_LABELS = {
    code: "Code cell input", markdown: "Markdown cell input", raw: "Raw cell input",
  };

  function editorPlugin(codemirror, view) {
    return {
      id: `${NAME}:editor-names`,
      description: "Gives every CodeMirror editor an aria-label.",
      autoStart: true,
      optional: [codemirror.IEditorExtensionRegistry],
      activate(app, registry) {
        if (!registry) return;
        registry.addExtension({
          name: `${NAME}:aria-label`,
          factory: ({model, inline}) => {
            const label = CELL_EDITOR_LABELS[model?.type] ?? (inline ? "Input" : "Text editor");
            return codemirror.EditorExtensionRegistry.createImmutableExtension(
              view.EditorView.contentAttributes.of({"aria-label": label}));
          },
        });
      },
    };
  }

  function imagePlugin(rendermime) {
    class DescribedImage extends rendermime.RenderedImage {
      async render(model) {
        await super.render(model);
        const alt = model.metadata?.[this.mimeType]?.alt;
        const img = this.node.querySelector("img");
        if (img && typeof alt === "string" && alt.trim()) img.alt = alt;
      }
    }
    return {
      id: `${NAME}:image-alt`,
      description: "Shows image outputs with the alt text stored in their metadata.",
      autoStart: true,
      optional: [rendermime.IRenderMimeRegistry],
      activate(app, registry) {
        if (!registry) return;
        const standard = rendermime.imageRendererFactory;
        registry.addFactory({...standard, createRenderer: options => new DescribedImage(options)},
                            registry.getRank(standard.mimeTypes[0]));
      },
    };
  }

  async function plugins() {
    const [codemirror, view, rendermime] = await Promise.all(
      ["@jupyterlab/codemirror", "@codemirror/view", "@jupyterlab/rendermime"].map(shared));
    const found = [namesPlugin];
    if (codemirror?.IEditorExtensionRegistry && view?.EditorView) {
      found.push(editorPlugin(codemirror, view));
    }
    if (rendermime?.IRenderMimeRegistry && rendermime.RenderedImage) {
      found.push(imagePlugin(rendermime));
    }
    return found;
  }

  window._JUPYTERLAB = window._JUPYTERLAB || {};
  window._JUPYTERLAB[NAME] = {
    init(scope) {
      shareScope = scope || {};
    },
    async get(module) {
      if (module !== "./extension") throw new Error(`${NAME} has no module ${module}`);
      const found = await plugins();
      return () => ({__esModule: true, default: found});
    },
  };
})();
