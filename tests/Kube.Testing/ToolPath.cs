namespace Kube.Testing;

/// <summary>Finds command-line tools the way a shell does, plus the usual system folders (root's PATH has them, a test runner's may not).</summary>
public static class ToolPath
{
    private static readonly string[] SystemDirs = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>The full path of <paramref name="tool"/>, or null when it is not installed.</summary>
    public static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(SystemDirs)
            .Select(d => Path.Combine(d, tool))
            .FirstOrDefault(File.Exists);

    /// <summary>Why a test cannot run here (the first of <paramref name="tools"/> that is missing, with <paramref name="installCommand"/>), or null.</summary>
    public static string? Missing(string installCommand, params string[] tools) =>
        tools.FirstOrDefault(t => Find(t) is null) is { } missing ? $"{missing} is not installed: {installCommand}" : null;
}
