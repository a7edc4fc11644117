using System.Security.Cryptography;
using System.Text;
using Kube.Core.Admission;

namespace Kube.ApiServer.Authentication;

/// <summary>
/// Tokens from a static token file (upstream's <c>--token-auth-file</c>): CSV lines <c>token,user,uid,"group1,group2"</c>;
/// the groups column is optional, blank lines and lines starting with # are skipped.
/// </summary>
public sealed class StaticTokenAuthenticator : ITokenAuthenticator
{
    private readonly Dictionary<string, UserInfo> _tokens;

    public StaticTokenAuthenticator(IReadOnlyDictionary<string, UserInfo> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _tokens = new Dictionary<string, UserInfo>(tokens, StringComparer.Ordinal);
    }

    /// <summary>Reads a token file; throws <see cref="FormatException"/> on a line with fewer than three columns.</summary>
    public static StaticTokenAuthenticator FromFile(string path) => FromCsv(File.ReadAllText(path));

    public static StaticTokenAuthenticator FromCsv(string csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        var tokens = new Dictionary<string, UserInfo>(StringComparer.Ordinal);
        var lineNo = 0;
        foreach (var raw in csv.Split('\n'))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')) continue;
            var cols = SplitCsv(line);
            if (cols.Count < 3 || cols[0].Length == 0 || cols[1].Length == 0)
                throw new FormatException($"token file line {lineNo}: expected token,user,uid[,\"groups\"]");
            var groups = cols.Count > 3
                ? cols[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : [];
            tokens[cols[0]] = new UserInfo(cols[1], groups) { Uid = cols[2] };
        }
        return new StaticTokenAuthenticator(tokens);
    }

    private static List<string> SplitCsv(string line)
    {
        var cols = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else sb.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { cols.Add(sb.ToString().Trim()); sb.Clear(); }
            else sb.Append(c);
        }
        cols.Add(sb.ToString().Trim());
        return cols;
    }

    public ValueTask<UserInfo?> AuthenticateTokenAsync(string token, CancellationToken cancellationToken)
    {
        foreach (var (known, user) in _tokens)
        {
            // constant-time per candidate so a timing side channel does not reveal token prefixes
            if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(known), Encoding.UTF8.GetBytes(token)))
                return ValueTask.FromResult<UserInfo?>(user);
        }
        return ValueTask.FromResult<UserInfo?>(null);
    }
}
