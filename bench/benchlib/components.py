"""Which part of a Native AOT binary a symbol belongs to, shared by the size breakdown (`nm` of the .dbg,
footprint_steps.py) and the CPU profiles (perf frames, profiles.py), so both tables speak of the same parts.

ILC names a managed method `<assembly>_<namespace>_<type>__<method>`, dots turned into underscores, and the
namespace mostly starts again with the assembly's first word (`System_Net_Http_System_Net_Http_HttpConnection__...`,
`StackExchange_Redis_StackExchange_Redis_...`); System.Private.* is shortened to `S_P_` and llm-proxy's own assembly
is `llm_proxy` (the bare forwarder's `bare_forwarder`). A generic instantiation names its type arguments inside the
name, so only the start of a name decides. The native runtime keeps its C++ names: the garbage collector under
`WKS::`/`SVR::` (the workstation and the server collector, both linked), the allocation helpers `Rhp*`."""
import re

# Words a namespace starts with: the assembly's name ends before the first of them (or before its own first word again).
ROOTS = {"System", "Microsoft", "Internal", "Interop", "LlmProxy", "StackExchange", "OpenTelemetry", "Google"}
# ILC's own prefixes in front of a managed name (boxed/unboxing stubs, statics bases, generic dictionaries).
PREFIX = re.compile(r"^(?:<Boxed>|unbox_|__[A-Za-z]+_)")
GC = re.compile(r"^(?:WKS|SVR)::|GCHeap|gc_heap|^Rhp(?:New|GcAlloc|NewArray)|^Rhp\w*AssignRef")
OWN = "own code (llm-proxy's `LlmProxy.*`, the bare forwarder's `Forwarder`)"
ASYNC = re.compile(r"^System_(?:Threading|Runtime_CompilerServices_(?:Async|PoolingAsync|ConfiguredValueTask|ValueTaskAwaiter|TaskAwaiter))")
# (component, assembly regex) for the CPU tables; first match wins.
BY_ASSEMBLY = [
    (OWN, r"^(?:llm_proxy|bare_forwarder)$"),
    ("Kestrel + System.IO.Pipelines", r"^(?:Microsoft_AspNetCore_Server_Kestrel|System_IO_Pipelines)"),
    ("ASP.NET Core (hosting, routing, HTTP abstractions)", r"^Microsoft_AspNetCore_"),
    ("Microsoft.Extensions (DI, logging, options)", r"^Microsoft_Extensions_"),
    ("System.Net.Http + Sockets", r"^System_Net_(?:Http|Sockets|Primitives|Security|NameResolution)$"),
    ("cryptography (TLS)", r"^System_Security_Cryptography"),
    ("System.Text.Json", r"^System_Text_Json$"),
    ("StackExchange.Redis", r"^(?:StackExchange_Redis|RESPite|Pipelines_Sockets_Unofficial)"),
    ("OpenTelemetry", r"^OpenTelemetry"),
    ("thread pool, tasks, async", r"^System_Threading"),
    ("AOT type loader (generic types built at run time)", r"^S_P_TypeLoader$"),
    ("CoreLib (other)", r"^S_P_"),
]
_BY_ASSEMBLY = [(name, re.compile(rx)) for name, rx in BY_ASSEMBLY]


def split(sym):
    """(assembly, rest) of a managed symbol, or (None, sym) for a native one."""
    name = PREFIX.sub("", sym)
    if name.startswith("Internal_CompilerGenerated_"):
        return "Internal_CompilerGenerated", name
    words = name.split("_")
    for i in range(1, min(len(words), 8)):
        if words[i] in ROOTS or (words[i] == words[0] and words[0]):
            return "_".join(words[:i]), "_".join(words[i:])
    return None, sym


# Native code in the size table: the runtime's own C/C++ and the libraries linked into it.
NATIVE = [("native: GC", GC),
          ("native: brotli + zlib", re.compile(r"^_?(?:Brotli|kBrotli|zng_|inflate|deflate|crc32|adler32|longest_match)")),
          ("native: System.*.Native shims (OpenSSL, sockets)",
           re.compile(r"^(?:CryptoNative_|SystemNative_|NetSecurityNative_|GlobalizationNative_|CompressionNative_|InitializeOpenSSLShim)"))]


def size_group(sym):
    """The row of the size table a code symbol adds to: its assembly, or a part of the native runtime."""
    assembly, _ = split(sym)
    if assembly is not None and not GC.search(sym):
        return assembly_label(assembly)
    return next((name for name, rx in NATIVE if rx.search(sym)), "native: runtime (other)")


def assembly_label(assembly):
    """The assembly's real name from its mangled prefix (the underscores of a name cannot all be told from dots)."""
    special = {"S_P_CoreLib": "System.Private.CoreLib", "llm_proxy": "llm-proxy", "bare_forwarder": "bare-forwarder",
               "Internal_CompilerGenerated": "(compiler-generated)"}
    if assembly in special:
        return special[assembly]
    return assembly.replace("S_P_", "System.Private.").replace("_", ".")


def of_symbol(sym):
    """The component of a symbol of the binary (nm, or a perf frame in the binary's own dso)."""
    if GC.search(sym):
        return "GC and allocation"
    assembly, rest = split(sym)
    if assembly is None:
        return "runtime (native, GC excluded)"
    if assembly == "S_P_CoreLib" and ASYNC.match(rest):
        return "thread pool, tasks, async"
    return next((name for name, rx in _BY_ASSEMBLY if rx.search(assembly)), "other managed (System.*, Microsoft.*)")


def of_frame(sym, dso):
    """The component of a perf frame: the kernel and the C library by their dso, the rest by symbol."""
    base = dso.rsplit("/", 1)[-1]
    if dso.startswith("[kernel") or base.endswith(".ko") or dso == "[vdso]":
        return "kernel"
    if base.startswith(("libc.so", "libc-", "libm.so", "libpthread", "ld-linux")):
        return "libc"
    if sym in ("[unknown]", "") or dso in ("[unknown]", ""):
        return "unknown (no symbol)"
    if ".so" in base:
        return "other shared libraries"
    return of_symbol(sym)
