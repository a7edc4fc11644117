using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kube.ApiServer.Registry;

namespace Kube.ApiServer.Validation.Cel;

/// <summary>
/// Evaluates the CEL subset over JSON values: null, bool, long, double, string, lists and string-keyed maps.
/// Every step counts against a cost budget, so a hostile rule ends with upstream's cost-limit error instead of
/// running on. <see cref="Check"/> refuses, at CRD time, what the evaluator does not implement.
/// </summary>
internal sealed class CelEvaluator
{
    /// <summary>Upstream's per-call cost limit (1,000,000), counted here as evaluation steps.</summary>
    public const long CostLimit = 1_000_000;

    private static readonly HashSet<string> Macros = ["all", "exists", "exists_one", "map", "filter"];
    private static readonly HashSet<string> Globals = ["size", "has", "int", "double", "string", "bool", "matches"];
    private static readonly HashSet<string> Methods = ["size", "startsWith", "endsWith", "contains", "matches", "lowerAscii", "upperAscii", "trim"];

    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);
    private readonly SchemaValidator _regexes;
    private long _cost;

    public CelEvaluator(SchemaValidator regexes, object? self, object? oldSelf, bool hasOld)
    {
        _regexes = regexes;
        _vars["self"] = self;
        if (hasOld) _vars["oldSelf"] = oldSelf;
    }

    /// <summary>Throws a <see cref="CelException"/> naming what the subset does not support.</summary>
    public static void Check(CelExpr e, ISet<string> scope, int depth = 0)
    {
        if (depth > 128) throw new CelException("expression nested too deeply");
        switch (e)
        {
            case CelIdent id when !scope.Contains(id.Name):
                throw new CelException($"undeclared reference to '{id.Name}' (in container '')");
            case CelSelect s:
                Check(s.Target, scope, depth + 1);
                break;
            case CelIndex ix:
                Check(ix.Target, scope, depth + 1);
                Check(ix.Index, scope, depth + 1);
                break;
            case CelUnary u:
                Check(u.Operand, scope, depth + 1);
                break;
            case CelBinary b:
                Check(b.Left, scope, depth + 1);
                Check(b.Right, scope, depth + 1);
                break;
            case CelConditional c:
                Check(c.Condition, scope, depth + 1);
                Check(c.Then, scope, depth + 1);
                Check(c.Else, scope, depth + 1);
                break;
            case CelListLiteral l:
                foreach (var item in l.Items) Check(item, scope, depth + 1);
                break;
            case CelMapLiteral m:
                foreach (var (key, val) in m.Entries)
                {
                    Check(key, scope, depth + 1);
                    Check(val, scope, depth + 1);
                }
                break;
            case CelCall call when call.Target is not null && Macros.Contains(call.Function):
                Check(call.Target, scope, depth + 1);
                if (call.Args.Count is < 2 or > 3 || call.Args[0] is not CelIdent v || (call.Args.Count == 3 && call.Function != "map"))
                    throw new CelException($"found no matching overload for '{call.Function}' with {call.Args.Count} arguments");
                var inner = new HashSet<string>(scope, StringComparer.Ordinal) { v.Name };
                foreach (var a in call.Args.Skip(1)) Check(a, inner, depth + 1);
                break;
            case CelCall call when call.Target is not null:
                Check(call.Target, scope, depth + 1);
                if (!Methods.Contains(call.Function) && !CelLibrary.Methods.Contains(call.Function)) throw new CelException($"undeclared reference to '{call.Function}' (not in this server's CEL subset)");
                foreach (var a in call.Args) Check(a, scope, depth + 1);
                break;
            case CelCall call:
                if (!Globals.Contains(call.Function) && !CelLibrary.Globals.Contains(call.Function)) throw new CelException($"undeclared reference to '{call.Function}' (not in this server's CEL subset)");
                if (call.Function == "has" && (call.Args.Count != 1 || call.Args[0] is not CelSelect))
                    throw new CelException("invalid argument to has() macro");
                foreach (var a in call.Args) Check(a, scope, depth + 1);
                break;
        }
    }

    /// <summary>Whether <paramref name="e"/> mentions oldSelf (a transition rule, evaluated only on update).</summary>
    public static bool UsesOldSelf(CelExpr e) => e switch
    {
        CelIdent id => id.Name == "oldSelf",
        CelSelect s => UsesOldSelf(s.Target),
        CelIndex ix => UsesOldSelf(ix.Target) || UsesOldSelf(ix.Index),
        CelUnary u => UsesOldSelf(u.Operand),
        CelBinary b => UsesOldSelf(b.Left) || UsesOldSelf(b.Right),
        CelConditional c => UsesOldSelf(c.Condition) || UsesOldSelf(c.Then) || UsesOldSelf(c.Else),
        CelListLiteral l => l.Items.Any(UsesOldSelf),
        CelMapLiteral m => m.Entries.Any(kv => UsesOldSelf(kv.Key) || UsesOldSelf(kv.Value)),
        CelCall call => (call.Target is not null && UsesOldSelf(call.Target)) || call.Args.Any(UsesOldSelf),
        _ => false,
    };

    /// <summary>A JSON value as a CEL value, typed by its schema (number fields are doubles even when integral).</summary>
    public static object? FromJson(JsonNode? n, JsonObject? schema, int depth = 0)
    {
        if (depth > 128) throw new CelException("value nested too deeply");
        switch (n)
        {
            case null:
                return null;
            case JsonObject o:
            {
                var props = Json.Obj(schema, "properties");
                var additional = schema?["additionalProperties"] as JsonObject;
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in o) map[k] = FromJson(v, props?[k] as JsonObject ?? additional, depth + 1);
                return map;
            }
            case JsonArray a:
                return a.Select(item => FromJson(item, Json.Obj(schema, "items"), depth + 1)).ToList();
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.String:
                        // As upstream's schema types: format date-time is a timestamp, format duration a duration.
                        var text = v.GetValue<string>();
                        return Json.Str(schema, "format") switch
                        {
                            "date-time" when CelLibrary.ParseTimestamp(text) is { } t => t,
                            "duration" when CelLibrary.ParseDuration(text) is { } span => span,
                            _ => text,
                        };
                    case JsonValueKind.True: return true;
                    case JsonValueKind.False: return false;
                    case JsonValueKind.Number:
                        var d = SchemaValidator.ToDouble(v);
                        if (Json.Str(schema, "type") == "number") return d;
                        return SchemaValidator.KindOf(v) == "integer" && d is >= long.MinValue and <= long.MaxValue ? (object)(long)d : d;
                    default: return null;
                }
            default:
                return null;
        }
    }

    public object? Eval(CelExpr e)
    {
        if (++_cost > CostLimit) throw new CelException("operation cancelled: actual cost limit exceeded");
        switch (e)
        {
            case CelLiteral l: return l.Value;
            case CelIdent id: return _vars.TryGetValue(id.Name, out var value) ? value : throw new CelException($"no such attribute: {id.Name}");
            case CelSelect s:
                return Eval(s.Target) switch
                {
                    Dictionary<string, object?> m => m.TryGetValue(s.Field, out var f) ? f : throw new CelException($"no such key: {s.Field}"),
                    var other => throw new CelException($"no such overload: field selection '{s.Field}' on {TypeName(other)}"),
                };
            case CelIndex ix:
                return (Eval(ix.Target), Eval(ix.Index)) switch
                {
                    (List<object?> list, long i) => i >= 0 && i < list.Count ? list[(int)i] : throw new CelException($"index out of bounds: {i}"),
                    (Dictionary<string, object?> m, string k) => m.TryGetValue(k, out var v) ? v : throw new CelException($"no such key: {k}"),
                    var (t, i) => throw new CelException($"no such overload: {TypeName(t)}[{TypeName(i)}]"),
                };
            case CelUnary { Op: "!" } u: return !AsBool(Eval(u.Operand));
            case CelUnary u:
                return Eval(u.Operand) switch
                {
                    long n => n == long.MinValue ? throw new CelException("integer overflow") : -n,
                    double d => -d,
                    var other => throw new CelException($"no such overload: -{TypeName(other)}"),
                };
            case CelConditional c: return AsBool(Eval(c.Condition)) ? Eval(c.Then) : Eval(c.Else);
            case CelListLiteral l: return l.Items.Select(Eval).ToList();
            case CelMapLiteral m:
            {
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in m.Entries)
                {
                    if (Eval(k) is not string key) throw new CelException("map keys must be strings in this server's CEL subset");
                    if (!map.TryAdd(key, Eval(v))) throw new CelException($"Failed with repeated key: {key}");
                }
                return map;
            }
            case CelBinary b: return Binary(b);
            case CelCall call: return Call(call);
            default: throw new CelException("unsupported expression");
        }
    }

    private object? Binary(CelBinary b)
    {
        switch (b.Op)
        {
            case "&&":
            {
                // CEL's commutative logic: false wins over an error on either side.
                var (l, le) = TryBool(b.Left);
                if (le is null && !l) return false;
                var (r, re) = TryBool(b.Right);
                if (re is null && !r) return false;
                if (le is not null) throw le;
                if (re is not null) throw re;
                return true;
            }
            case "||":
            {
                var (l, le) = TryBool(b.Left);
                if (le is null && l) return true;
                var (r, re) = TryBool(b.Right);
                if (re is null && r) return true;
                if (le is not null) throw le;
                if (re is not null) throw re;
                return false;
            }
        }
        var left = Eval(b.Left);
        var right = Eval(b.Right);
        switch (b.Op)
        {
            case "==": return ValueEquals(left, right);
            case "!=": return !ValueEquals(left, right);
            case "<": return Compare(left, right) < 0;
            case "<=": return Compare(left, right) <= 0;
            case ">": return Compare(left, right) > 0;
            case ">=": return Compare(left, right) >= 0;
            case "in":
                return right switch
                {
                    List<object?> list => list.Any(x => ValueEquals(left, x)),
                    Dictionary<string, object?> map => left is string k && map.ContainsKey(k),
                    _ => throw new CelException($"no such overload: {TypeName(left)} in {TypeName(right)}"),
                };
        }
        if (CelLibrary.Arithmetic(b.Op, left, right) is { } timed) return timed;
        return (left, right, b.Op) switch
        {
            (long x, long y, "+") => Checked(() => checked(x + y)),
            (long x, long y, "-") => Checked(() => checked(x - y)),
            (long x, long y, "*") => Checked(() => checked(x * y)),
            (long _, 0L, "/") => throw new CelException("division by zero"),
            (long _, 0L, "%") => throw new CelException("modulus by zero"),
            (long x, long y, "/") => x == long.MinValue && y == -1 ? throw new CelException("integer overflow") : x / y,
            (long x, long y, "%") => x % y,
            (double x, double y, "+") => x + y,
            (double x, double y, "-") => x - y,
            (double x, double y, "*") => x * y,
            (double x, double y, "/") => x / y,
            (string x, string y, "+") => x + y,
            (List<object?> x, List<object?> y, "+") => x.Concat(y).ToList(),
            _ => throw new CelException($"no such overload: {TypeName(left)} {b.Op} {TypeName(right)}"),
        };
    }

    private static object Checked(Func<long> f)
    {
        try
        {
            return f();
        }
        catch (OverflowException)
        {
            throw new CelException("integer overflow");
        }
    }

    private (bool Value, CelException? Error) TryBool(CelExpr e)
    {
        try
        {
            return (AsBool(Eval(e)), null);
        }
        catch (CelException ex) when (!ex.Message.StartsWith("operation cancelled", StringComparison.Ordinal))
        {
            return (false, ex);
        }
    }

    private object? Call(CelCall call)
    {
        if (call.Target is not null && Macros.Contains(call.Function)) return Macro(call);
        if (call.Function == "has" && call.Target is null)
        {
            var select = (CelSelect)call.Args[0];
            return Eval(select.Target) switch
            {
                Dictionary<string, object?> m => m.ContainsKey(select.Field),
                var other => throw new CelException($"no such overload: has() on {TypeName(other)}"),
            };
        }
        var target = call.Target is null ? null : Eval(call.Target);
        var args = call.Args.Select(Eval).ToList();
        if (call.Target is null && call.Function != "matches")
        {
            if (args.Count != 1) throw new CelException($"found no matching overload for '{call.Function}' with {args.Count} arguments");
            target = args[0];
            args.Clear();
        }
        else if (call.Target is null)
        {
            if (args.Count != 2) throw new CelException("found no matching overload for 'matches'");
            target = args[0];
            args.RemoveAt(0);
        }
        if (CelLibrary.TryCall(call.Function, target, args, out var library)) return library;
        return (call.Function, target, args.Count) switch
        {
            ("size", string s, 0) => (long)s.EnumerateRunes().Count(),
            ("size", List<object?> l, 0) => (long)l.Count,
            ("size", Dictionary<string, object?> m, 0) => (long)m.Count,
            ("startsWith", string s, 1) when args[0] is string p => s.StartsWith(p, StringComparison.Ordinal),
            ("endsWith", string s, 1) when args[0] is string p => s.EndsWith(p, StringComparison.Ordinal),
            ("contains", string s, 1) when args[0] is string p => s.Contains(p, StringComparison.Ordinal),
            ("matches", string s, 1) when args[0] is string p => Matches(s, p),
            ("lowerAscii", string s, 0) => string.Create(s.Length, s, static (span, src) => { for (var i = 0; i < src.Length; i++) span[i] = char.IsAsciiLetterUpper(src[i]) ? (char)(src[i] + 32) : src[i]; }),
            ("upperAscii", string s, 0) => string.Create(s.Length, s, static (span, src) => { for (var i = 0; i < src.Length; i++) span[i] = char.IsAsciiLetterLower(src[i]) ? (char)(src[i] - 32) : src[i]; }),
            ("trim", string s, 0) => s.Trim(),
            ("int", long n, 0) => n,
            ("int", double d, 0) => double.IsFinite(d) && d > long.MinValue && d < long.MaxValue ? (long)Math.Truncate(d) : throw new CelException("double is out of range of int"),
            ("int", string s, 0) => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : throw new CelException($"cannot convert \"{s}\" to int"),
            ("double", double d, 0) => d,
            ("double", long n, 0) => (double)n,
            ("double", string s, 0) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new CelException($"cannot convert \"{s}\" to double"),
            ("string", string s, 0) => s,
            ("string", long n, 0) => n.ToString(CultureInfo.InvariantCulture),
            ("string", double d, 0) => d.ToString("R", CultureInfo.InvariantCulture),
            ("string", bool b, 0) => b ? "true" : "false",
            ("bool", bool b, 0) => b,
            ("bool", string s, 0) => s switch { "true" or "True" or "TRUE" or "t" or "1" => true, "false" or "False" or "FALSE" or "f" or "0" => false, _ => throw new CelException($"cannot convert \"{s}\" to bool") },
            _ => throw new CelException($"found no matching overload for '{call.Function}' applied to '{TypeName(target)}'"),
        };
    }

    private bool Matches(string s, string pattern)
    {
        var (regex, error) = _regexes.Pattern(pattern);
        if (regex is null) throw new CelException($"invalid regular expression: {error}");
        return regex.IsMatch(s);
    }

    private object? Macro(CelCall call)
    {
        var range = Eval(call.Target!);
        var items = range switch
        {
            List<object?> l => l,
            Dictionary<string, object?> m => m.Keys.Cast<object?>().ToList(),
            _ => throw new CelException($"found no matching overload for '{call.Function}' applied to '{TypeName(range)}'"),
        };
        var name = ((CelIdent)call.Args[0]).Name;
        var shadowed = _vars.TryGetValue(name, out var saved);
        try
        {
            switch (call.Function)
            {
                case "all":
                {
                    CelException? error = null;
                    foreach (var item in items)
                    {
                        _vars[name] = item;
                        var (ok, e) = TryBool(call.Args[1]);
                        if (e is null && !ok) return false;
                        error ??= e;
                    }
                    if (error is not null) throw error;
                    return true;
                }
                case "exists":
                {
                    CelException? error = null;
                    foreach (var item in items)
                    {
                        _vars[name] = item;
                        var (ok, e) = TryBool(call.Args[1]);
                        if (e is null && ok) return true;
                        error ??= e;
                    }
                    if (error is not null) throw error;
                    return false;
                }
                case "exists_one":
                    return items.Count(item => { _vars[name] = item; return AsBool(Eval(call.Args[1])); }) == 1;
                case "filter":
                    return items.Where(item => { _vars[name] = item; return AsBool(Eval(call.Args[1])); }).ToList();
                default: // map
                    var result = new List<object?>();
                    foreach (var item in items)
                    {
                        _vars[name] = item;
                        if (call.Args.Count == 3 && !AsBool(Eval(call.Args[1]))) continue;
                        result.Add(Eval(call.Args[^1]));
                    }
                    return result;
            }
        }
        finally
        {
            if (shadowed) _vars[name] = saved;
            else _vars.Remove(name);
        }
    }

    private static bool AsBool(object? v) => v is bool b ? b : throw new CelException($"no such overload: expected bool but found {TypeName(v)}");

    public static bool ValueEquals(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (long x, double y) => x == y,
        (double x, long y) => x == y,
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => ValueEquals(p.First, p.Second)),
        (Dictionary<string, object?> x, Dictionary<string, object?> y) => x.Count == y.Count && x.All(kv => y.TryGetValue(kv.Key, out var o) && ValueEquals(kv.Value, o)),
        _ => Equals(a, b),
    };

    private static int Compare(object? a, object? b) => (a, b) switch
    {
        (long x, long y) => x.CompareTo(y),
        (double x, double y) => x.CompareTo(y),
        (long x, double y) => ((double)x).CompareTo(y),
        (double x, long y) => x.CompareTo(y),
        (string x, string y) => string.CompareOrdinal(x, y),
        (bool x, bool y) => x.CompareTo(y),
        _ when CelLibrary.Compare(a, b) is { } c => c,
        _ => throw new CelException($"no such overload: {TypeName(a)} compared with {TypeName(b)}"),
    };

    public static string TypeName(object? v) => v switch
    {
        null => "null_type",
        bool => "bool",
        long => "int",
        double => "double",
        string => "string",
        List<object?> => "list",
        Dictionary<string, object?> => "map",
        _ => CelLibrary.TypeName(v) ?? v.GetType().Name,
    };
}
