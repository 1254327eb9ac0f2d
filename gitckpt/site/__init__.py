"""`git ckpt site`: the registry as a self-contained static site (HTML, CSS, a little
JavaScript; no server, no external requests), for GitHub or GitLab Pages.

`model` gathers what the pages show from git (cards at HEAD, registry tags, history);
`charts` lays out the lineage graph and metric charts; `render` writes the files.
"""
