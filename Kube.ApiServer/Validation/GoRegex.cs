using System.Text;
using System.Text.RegularExpressions;

namespace Kube.ApiServer.Validation;

/// <summary>
/// Upstream validates a schema's <c>pattern</c> with Go's RE2. This turns an RE2 pattern into a .NET regex with the
/// same meaning: <c>\d \w \s \b</c> are ASCII, <c>$</c> without <c>(?m)</c> is the end of the text, <c>(?P&lt;n&gt;</c>
/// is a named group, and matching is non-backtracking (linear, like RE2). What RE2 does not have (lookaround,
/// backreferences, atomic groups, possessive quantifiers, <c>\Z</c>) is refused, as Go's regexp.Compile refuses it.
/// </summary>
internal static class GoRegex
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Compiles <paramref name="pattern"/>, or returns the reason it is not a valid RE2 pattern.</summary>
    public static Regex? TryCompile(string pattern, out string? error)
    {
        error = null;
        string translated;
        try
        {
            translated = Translate(pattern);
        }
        catch (FormatException e)
        {
            error = $"error parsing regexp: {e.Message}";
            return null;
        }
        try
        {
            return new Regex(translated, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, MatchTimeout);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            error = $"error parsing regexp: {e.Message}";
            return null;
        }
    }

    private static string Translate(string p)
    {
        var sb = new StringBuilder(p.Length + 16);
        var inClass = false;
        var multiline = Regex.IsMatch(p, @"\(\?[a-zA-Z]*m[a-zA-Z]*[:)]", RegexOptions.None, MatchTimeout);
        for (var i = 0; i < p.Length; i++)
        {
            var c = p[i];
            if (c == '\\')
            {
                if (i + 1 >= p.Length) throw new FormatException("trailing backslash at end of expression: ``");
                var n = p[++i];
                switch (n)
                {
                    case 'd': sb.Append(inClass ? "0-9" : "[0-9]"); break;
                    case 'D': sb.Append(inClass ? throw Unsupported("\\D in a character class") : "[^0-9]"); break;
                    case 'w': sb.Append(inClass ? "0-9A-Za-z_" : "[0-9A-Za-z_]"); break;
                    case 'W': sb.Append(inClass ? throw Unsupported("\\W in a character class") : "[^0-9A-Za-z_]"); break;
                    case 's': sb.Append(inClass ? "\\t\\n\\f\\r " : "[\\t\\n\\f\\r ]"); break;
                    case 'S': sb.Append(inClass ? throw Unsupported("\\S in a character class") : "[^\\t\\n\\f\\r ]"); break;
                    case 'Z': throw new FormatException("invalid escape sequence: `\\Z`");
                    case 'k': throw new FormatException("invalid escape sequence: `\\k`");
                    case >= '1' and <= '9' when !inClass: throw new FormatException($"invalid escape sequence: `\\{n}`");
                    case 'p' or 'P':
                        // Unicode classes \pL, \p{Greek}: .NET spells the one-letter form with braces.
                        if (i + 1 < p.Length && p[i + 1] != '{') sb.Append('\\').Append(n).Append('{').Append(p[++i]).Append('}');
                        else sb.Append('\\').Append(n);
                        break;
                    default: sb.Append('\\').Append(n); break;
                }
                continue;
            }
            if (inClass)
            {
                if (c == ']') inClass = false;
                else if (c == '[' && i + 1 < p.Length && p[i + 1] == ':')
                {
                    var end = p.IndexOf(":]", i + 2, StringComparison.Ordinal);
                    if (end > 0)
                    {
                        sb.Append(PosixClass(p[(i + 2)..end]));
                        i = end + 1;
                        continue;
                    }
                }
                sb.Append(c);
                continue;
            }
            switch (c)
            {
                case '[':
                    inClass = true;
                    sb.Append(c);
                    if (i + 1 < p.Length && p[i + 1] == '^') sb.Append(p[++i]);
                    if (i + 1 < p.Length && p[i + 1] == ']')
                    {
                        sb.Append("\\]");
                        i++;
                    }
                    break;
                case '$':
                    sb.Append(multiline ? "$" : "\\z");
                    break;
                case '(' when i + 1 < p.Length && p[i + 1] == '?':
                    var rest = p.AsSpan(i);
                    if (rest.StartsWith("(?P<")) { sb.Append("(?<"); i += 3; }
                    else if (rest.StartsWith("(?=") || rest.StartsWith("(?!") || rest.StartsWith("(?<=") || rest.StartsWith("(?<!"))
                        throw new FormatException($"invalid or unsupported Perl syntax: `{rest[..(rest[2] == '<' ? 4 : 3)].ToString()}`");
                    else if (rest.StartsWith("(?>")) throw new FormatException("invalid or unsupported Perl syntax: `(?>`");
                    else if (rest.StartsWith("(?<") || rest.StartsWith("(?'")) throw new FormatException($"invalid or unsupported Perl syntax: `{rest[..3].ToString()}`");
                    else sb.Append(c);
                    break;
                case '+' or '*' or '?' or '}' when i + 1 < p.Length && p[i + 1] == '+':
                    throw new FormatException($"invalid nested repetition operator: `{c}+`");
                default:
                    sb.Append(c);
                    break;
            }
        }
        if (inClass) throw new FormatException($"missing closing ]: `{p[p.LastIndexOf('[')..]}`");
        return sb.ToString();
    }

    private static FormatException Unsupported(string what) => new($"invalid or unsupported syntax for this server: `{what}`");

    private static string PosixClass(string name) => name switch
    {
        "alnum" => "0-9A-Za-z",
        "alpha" => "A-Za-z",
        "ascii" => "\\x00-\\x7F",
        "blank" => "\\t ",
        "cntrl" => "\\x00-\\x1F\\x7F",
        "digit" => "0-9",
        "graph" => "!-~",
        "lower" => "a-z",
        "print" => " -~",
        "punct" => "!-/:-@\\[-`{-~",
        "space" => "\\t\\n\\v\\f\\r ",
        "upper" => "A-Z",
        "word" => "0-9A-Za-z_",
        "xdigit" => "0-9A-Fa-f",
        _ => throw new FormatException($"invalid character class range: `[:{name}:]`"),
    };
}
