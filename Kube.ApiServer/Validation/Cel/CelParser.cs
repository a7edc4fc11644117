using System.Globalization;
using System.Text;

namespace Kube.ApiServer.Validation.Cel;

/// <summary>A parsed CEL expression.</summary>
internal abstract record CelExpr;

internal sealed record CelLiteral(object? Value) : CelExpr;

internal sealed record CelIdent(string Name) : CelExpr;

internal sealed record CelSelect(CelExpr Target, string Field) : CelExpr;

internal sealed record CelIndex(CelExpr Target, CelExpr Index) : CelExpr;

/// <summary>A call: a global function (Target null) or a method on Target.</summary>
internal sealed record CelCall(CelExpr? Target, string Function, IReadOnlyList<CelExpr> Args) : CelExpr;

internal sealed record CelUnary(string Op, CelExpr Operand) : CelExpr;

internal sealed record CelBinary(string Op, CelExpr Left, CelExpr Right) : CelExpr;

internal sealed record CelConditional(CelExpr Condition, CelExpr Then, CelExpr Else) : CelExpr;

internal sealed record CelListLiteral(IReadOnlyList<CelExpr> Items) : CelExpr;

internal sealed record CelMapLiteral(IReadOnlyList<(CelExpr Key, CelExpr Value)> Entries) : CelExpr;

/// <summary>A CEL syntax or subset error (the rule is refused when the CRD is written).</summary>
internal sealed class CelException(string message) : Exception(message);

/// <summary>
/// A recursive-descent parser for the CEL subset this server evaluates: literals (int, uint, double, string, bytes-free,
/// bool, null, lists, maps), identifiers, field selection, indexing, calls, unary ! and -, * / %, + -, comparisons,
/// in, &amp;&amp;, ||, and ?: — with CEL's precedence. Nesting is limited (as upstream limits it).
/// </summary>
internal sealed class CelParser
{
    private const int MaxDepth = 64;
    private readonly List<(string Kind, string Text, object? Value)> _tokens;
    private int _pos;
    private int _depth;

    private CelParser(string source) => _tokens = Lex(source);

    public static CelExpr Parse(string source)
    {
        var p = new CelParser(source);
        var e = p.Expr();
        if (p.Peek.Kind != "eof") throw new CelException($"Syntax error: mismatched input '{p.Peek.Text}'");
        return e;
    }

    private (string Kind, string Text, object? Value) Peek => _tokens[_pos];

    private bool Accept(string text)
    {
        if (Peek.Kind is "op" or "ident" && Peek.Text == text)
        {
            _pos++;
            return true;
        }
        return false;
    }

    private void Expect(string text)
    {
        if (!Accept(text)) throw new CelException($"Syntax error: expected '{text}' but found '{Peek.Text}'");
    }

    private CelExpr Expr()
    {
        if (++_depth > MaxDepth) throw new CelException("expression nested too deeply");
        try
        {
            var c = Or();
            if (!Accept("?")) return c;
            var then = Or();
            Expect(":");
            return new CelConditional(c, then, Expr());
        }
        finally
        {
            _depth--;
        }
    }

    private CelExpr Or()
    {
        var l = And();
        while (Accept("||")) l = new CelBinary("||", l, And());
        return l;
    }

    private CelExpr And()
    {
        var l = Relation();
        while (Accept("&&")) l = new CelBinary("&&", l, Relation());
        return l;
    }

    private CelExpr Relation()
    {
        var l = Addition();
        while (Peek.Kind is "op" or "ident" && Peek.Text is "==" or "!=" or "<" or "<=" or ">" or ">=" or "in")
        {
            var op = _tokens[_pos++].Text;
            l = new CelBinary(op, l, Addition());
        }
        return l;
    }

    private CelExpr Addition()
    {
        var l = Multiplication();
        while (Peek.Kind == "op" && Peek.Text is "+" or "-")
        {
            var op = _tokens[_pos++].Text;
            l = new CelBinary(op, l, Multiplication());
        }
        return l;
    }

    private CelExpr Multiplication()
    {
        var l = Unary();
        while (Peek.Kind == "op" && Peek.Text is "*" or "/" or "%")
        {
            var op = _tokens[_pos++].Text;
            l = new CelBinary(op, l, Unary());
        }
        return l;
    }

    private CelExpr Unary()
    {
        if (Accept("!")) return new CelUnary("!", Unary());
        if (Accept("-"))
        {
            // -9223372036854775808 and other negative literals are literals, not negations.
            if (Peek.Kind == "num" && Peek.Value is ulong big && big == 9223372036854775808UL)
            {
                _pos++;
                return Member(new CelLiteral(long.MinValue));
            }
            return new CelUnary("-", Unary());
        }
        return Member(Primary());
    }

    private CelExpr Member(CelExpr e)
    {
        while (true)
        {
            if (Accept("."))
            {
                if (Peek.Kind != "ident") throw new CelException($"Syntax error: expected a field name after '.' but found '{Peek.Text}'");
                var name = _tokens[_pos++].Text;
                e = Accept("(") ? new CelCall(e, name, Args(")")) : new CelSelect(e, name);
            }
            else if (Accept("["))
            {
                var index = Expr();
                Expect("]");
                e = new CelIndex(e, index);
            }
            else return e;
        }
    }

    private List<CelExpr> Args(string close)
    {
        var args = new List<CelExpr>();
        if (Accept(close)) return args;
        do
        {
            if (Peek.Kind == "op" && Peek.Text == close) break; // trailing comma
            args.Add(Expr());
        } while (Accept(","));
        Expect(close);
        return args;
    }

    private CelExpr Primary()
    {
        var t = _tokens[_pos];
        switch (t.Kind)
        {
            case "num":
                _pos++;
                return new CelLiteral(t.Value is ulong u
                    ? (u <= long.MaxValue ? (long)u : throw new CelException($"integer literal out of range: {t.Text}"))
                    : t.Value);
            case "str":
                _pos++;
                return new CelLiteral(t.Value);
            case "ident":
                _pos++;
                switch (t.Text)
                {
                    case "true": return new CelLiteral(true);
                    case "false": return new CelLiteral(false);
                    case "null": return new CelLiteral(null);
                }
                return Accept("(") ? new CelCall(null, t.Text, Args(")")) : new CelIdent(t.Text);
            case "op" when t.Text == "(":
                _pos++;
                var inner = Expr();
                Expect(")");
                return inner;
            case "op" when t.Text == "[":
                _pos++;
                return new CelListLiteral(Args("]"));
            case "op" when t.Text == "{":
                _pos++;
                var entries = new List<(CelExpr, CelExpr)>();
                if (!Accept("}"))
                {
                    do
                    {
                        if (Peek.Kind == "op" && Peek.Text == "}") break;
                        var k = Expr();
                        Expect(":");
                        entries.Add((k, Expr()));
                    } while (Accept(","));
                    Expect("}");
                }
                return new CelMapLiteral(entries);
            default:
                throw new CelException($"Syntax error: unexpected '{(t.Kind == "eof" ? "end of expression" : t.Text)}'");
        }
    }

    // ---------------------------------------------------------------- lexer

    private static List<(string, string, object?)> Lex(string s)
    {
        var tokens = new List<(string, string, object?)>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '/' && i + 1 < s.Length && s[i + 1] == '/')
            {
                while (i < s.Length && s[i] != '\n') i++;
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_')) i++;
                var word = s[start..i];
                if (word is "r" or "R" && i < s.Length && s[i] is '"' or '\'')
                {
                    tokens.Add(("str", word, ReadString(s, ref i, raw: true)));
                    continue;
                }
                if (word is "b" or "B" && i < s.Length && s[i] is '"' or '\'') throw new CelException("bytes literals are not supported by this server's CEL subset");
                tokens.Add(("ident", word, null));
                continue;
            }
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1])))
            {
                tokens.Add(ReadNumber(s, ref i));
                continue;
            }
            if (c is '"' or '\'')
            {
                tokens.Add(("str", "string", ReadString(s, ref i, raw: false)));
                continue;
            }
            var two = i + 1 < s.Length ? s.Substring(i, 2) : "";
            if (two is "==" or "!=" or "<=" or ">=" or "&&" or "||")
            {
                tokens.Add(("op", two, null));
                i += 2;
                continue;
            }
            if ("+-*/%!<>?:.,()[]{}".Contains(c, StringComparison.Ordinal))
            {
                tokens.Add(("op", c.ToString(), null));
                i++;
                continue;
            }
            throw new CelException($"Syntax error: token recognition error at: '{c}'");
        }
        tokens.Add(("eof", "", null));
        return tokens;
    }

    private static (string, string, object?) ReadNumber(string s, ref int i)
    {
        var start = i;
        if (s[i] == '0' && i + 1 < s.Length && s[i + 1] is 'x' or 'X')
        {
            i += 2;
            while (i < s.Length && Uri.IsHexDigit(s[i])) i++;
            var hex = ulong.Parse(s[(start + 2)..i], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (i < s.Length && s[i] is 'u' or 'U') { i++; return ("num", s[start..i], hex); }
            return ("num", s[start..i], hex);
        }
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        var isDouble = false;
        if (i < s.Length && s[i] == '.' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1]))
        {
            isDouble = true;
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        }
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            isDouble = true;
            i++;
            if (i < s.Length && s[i] is '+' or '-') i++;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        }
        var text = s[start..i];
        if (isDouble) return ("num", text, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)) throw new CelException($"integer literal out of range: {text}");
        if (i < s.Length && s[i] is 'u' or 'U')
        {
            i++;
            return ("num", text + "u", (long)Math.Min(v, long.MaxValue));
        }
        return ("num", text, v);
    }

    private static string ReadString(string s, ref int i, bool raw)
    {
        var quote = s[i];
        var triple = i + 2 < s.Length && s[i + 1] == quote && s[i + 2] == quote;
        i += triple ? 3 : 1;
        var sb = new StringBuilder();
        while (true)
        {
            if (i >= s.Length) throw new CelException("Syntax error: unterminated string");
            var c = s[i];
            if (triple ? c == quote && i + 2 < s.Length && s[i + 1] == quote && s[i + 2] == quote : c == quote)
            {
                i += triple ? 3 : 1;
                return sb.ToString();
            }
            if (!triple && c == '\n') throw new CelException("Syntax error: newline in string");
            if (c == '\\' && !raw)
            {
                if (++i >= s.Length) throw new CelException("Syntax error: unterminated string");
                var e = s[i];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case '\\' or '\'' or '"' or '`' or '?': sb.Append(e); break;
                    case 'u' when i + 4 < s.Length:
                        sb.Append((char)Convert.ToInt32(s.Substring(i + 1, 4), 16));
                        i += 4;
                        break;
                    default: throw new CelException($"Syntax error: invalid escape sequence '\\{e}'");
                }
                i++;
                continue;
            }
            sb.Append(c);
            i++;
        }
    }
}
