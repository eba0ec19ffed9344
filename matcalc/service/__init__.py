"""One request to matcalc as JSON, computed in a bounded worker process: what the web page
(``matcalc.web``) and the assistant tools (``matcalc.assistant``) share.

``requests``  a request checked before any work (types, sizes, choices; no SymPy)
``compute``   a derivation as JSON: result (text, LaTeX), steps, numeric check, generated code;
              the names of an expression and their inferred shapes; errors as 4xx payloads
``checks``    a claimed derivative against finite differences; the bundled catalogue
              (verify, gallery)
``jobs``      each request in a worker process forked from a warm fork server (``warm``),
              bounded in time and address space, killed when cancelled
"""
