using System.Security.Cryptography;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Kube.ApiServer.Encryption;

/// <summary>
/// Upstream's <c>EncryptionConfiguration</c> (apiserver.config.k8s.io/v1, YAML or JSON): for each set of resources, an
/// ordered list of providers. The first provider encrypts; every provider decrypts values with its prefix. Supported:
/// aescbc, aesgcm, secretbox (XSalsa20-Poly1305 from libsodium, 32-byte keys) and identity. KMS is refused.
/// </summary>
public sealed class EncryptionConfiguration
{
    private EncryptionConfiguration(IReadOnlyDictionary<string, IReadOnlyList<IValueProvider>> byResource) => ByResource = byResource;

    /// <summary>Resource (e.g. "secrets") → its providers, first one encrypting.</summary>
    internal IReadOnlyDictionary<string, IReadOnlyList<IValueProvider>> ByResource { get; }

    public IReadOnlyCollection<string> Resources => (IReadOnlyCollection<string>)ByResource.Keys;

    public static EncryptionConfiguration Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>Parses the configuration; throws <see cref="FormatException"/> on anything it cannot honour.</summary>
    public static EncryptionConfiguration Parse(string text)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root) throw new FormatException("empty EncryptionConfiguration");
        if (Str(root, "kind") != "EncryptionConfiguration") throw new FormatException("kind must be EncryptionConfiguration");
        if (Str(root, "apiVersion") is not ("apiserver.config.k8s.io/v1" or "apiserver.config.k8s.io/v1beta1"))
            throw new FormatException("apiVersion must be apiserver.config.k8s.io/v1");
        var result = new Dictionary<string, IReadOnlyList<IValueProvider>>(StringComparer.Ordinal);
        foreach (var entry in Seq(root, "resources").OfType<YamlMappingNode>())
        {
            var providers = new List<IValueProvider>();
            foreach (var p in Seq(entry, "providers").OfType<YamlMappingNode>())
            {
                foreach (var (k, v) in p.Children)
                {
                    var type = ((YamlScalarNode)k).Value ?? "";
                    switch (type)
                    {
                        case "identity":
                            providers.Add(new IdentityProvider());
                            break;
                        case "aescbc" or "aesgcm" or "secretbox":
                            var keys = Seq((YamlMappingNode)v, "keys").OfType<YamlMappingNode>().ToList();
                            if (keys.Count == 0) throw new FormatException($"{type}: at least one key is required");
                            foreach (var key in keys)
                            {
                                var name = Str(key, "name") ?? throw new FormatException($"{type}: a key needs a name");
                                byte[] secret;
                                try
                                {
                                    secret = Convert.FromBase64String(Str(key, "secret") ?? "");
                                }
                                catch (FormatException)
                                {
                                    throw new FormatException($"{type} key {name}: secret is not base64");
                                }
                                if (type == "secretbox" && secret.Length != 32) throw new FormatException($"secretbox key {name}: the secret must be 32 bytes");
                                if (secret.Length is not (16 or 24 or 32)) throw new FormatException($"{type} key {name}: the secret must be 16, 24 or 32 bytes");
                                providers.Add(type switch
                                {
                                    "aescbc" => new AesCbcProvider(name, secret),
                                    "aesgcm" => new AesGcmProvider(name, secret),
                                    _ => new SecretboxProvider(name, secret),
                                });
                            }
                            break;
                        default:
                            throw new FormatException($"provider {type} is not supported (aescbc, aesgcm, secretbox, identity)");
                    }
                }
            }
            if (providers.Count == 0) throw new FormatException("each resources entry needs at least one provider");
            foreach (var r in Seq(entry, "resources").OfType<YamlScalarNode>())
            {
                var resource = r.Value ?? "";
                // "secrets" or "secrets." (core group); group-qualified names are keyed by their resource name
                var plain = resource.TrimEnd('.').Split('.')[0];
                result.TryAdd(plain, providers);
            }
        }
        return new EncryptionConfiguration(result);
    }

    private static string? Str(YamlMappingNode m, string key) =>
        m.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static IEnumerable<YamlNode> Seq(YamlMappingNode m, string key) =>
        m.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlSequenceNode s ? s.Children : [];

    /// <summary>Encrypts <paramref name="value"/> stored at <paramref name="key"/> with the first provider of <paramref name="resource"/>.</summary>
    internal static byte[] Prefix(string provider, string keyName) => Encoding.ASCII.GetBytes($"k8s:enc:{provider}:v1:{keyName}:");

    internal static byte[] Concat(params ReadOnlySpan<byte[]> parts)
    {
        var result = new byte[parts.ToArray().Sum(p => p.Length)];
        var o = 0;
        foreach (var p in parts)
        {
            p.CopyTo(result, o);
            o += p.Length;
        }
        return result;
    }

    internal static byte[] RandomBytes(int n) => RandomNumberGenerator.GetBytes(n);
}
