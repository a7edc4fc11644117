using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Kube.E2E.Tests;

/// <summary>
/// A containerd of the test's own (its root, state, socket and CRI config under a temp dir), with two images built
/// from Debian's busybox-static and imported: <see cref="BusyboxImage"/> (/bin/sh) and <see cref="PauseImage"/>
/// (busybox sleep, the sandbox image). Disposing removes every sandbox, kills containerd and the shims, unmounts what
/// is left under the temp dir and deletes it.
/// </summary>
internal sealed class NodeCriContainerd : IAsyncDisposable
{
    public const string InstallCommand = "apt-get install -y containerd runc busybox-static";
    public const string BusyboxImage = "k8s.e2e/busybox:1";
    public const string PauseImage = "k8s.e2e/pause:1";

    private Process? _containerd;

    private NodeCriContainerd(string dir) => Dir = dir;

    public string Dir { get; }

    public string Socket => Path.Combine(Dir, "containerd.sock");

    public string LogFile => Path.Combine(Dir, "containerd.log");

    /// <summary>Why the test cannot run here (a missing tool), or null.</summary>
    public static string? MissingTool()
    {
        foreach (var tool in new[] { "containerd", "ctr", "runc", "containerd-shim-runc-v2" })
        {
            if (FindOnPath(tool) is null)
            {
                return $"{tool} is not installed: {InstallCommand}";
            }
        }

        return BusyboxPath() is null ? $"busybox-static is not installed: {InstallCommand}" : null;
    }

    public static async Task<NodeCriContainerd> StartAsync(CancellationToken cancellationToken)
    {
        // Short: the socket path must fit a sockaddr_un (108 bytes).
        var dir = Path.Combine("/tmp", $"kcri-{Guid.NewGuid():N}"[..13]);
        Directory.CreateDirectory(dir);
        var c = new NodeCriContainerd(dir);
        try
        {
            await c.StartProcessAsync(cancellationToken);
            await c.ImportAsync(BusyboxImage, ["/bin/sh"], cancellationToken);
            await c.ImportAsync(PauseImage, ["/bin/sleep", "2147483647"], cancellationToken);
            await c.WaitForImagesAsync(cancellationToken);
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    public string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        var config = Path.Combine(Dir, "config.toml");
        await File.WriteAllTextAsync(config, $"""
            version = 2
            root = "{Dir}/root"
            state = "{Dir}/state"
            [grpc]
              address = "{Socket}"
            [ttrpc]
              address = "{Socket}.ttrpc"
            [debug]
              address = ""
            [plugins."io.containerd.grpc.v1.cri"]
              sandbox_image = "{PauseImage}"
              # This machine refuses negative oom_score_adj values (the sandbox asks for -998): clamp them to ours.
              restrict_oom_score_adj = true
              [plugins."io.containerd.grpc.v1.cri".containerd]
                snapshotter = "overlayfs"
              [plugins."io.containerd.grpc.v1.cri".cni]
                bin_dir = "{Dir}/cni/bin"
                conf_dir = "{Dir}/cni/conf"
            """, cancellationToken);
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec containerd --config '{config}' >'{LogFile}' 2>&1");
        _containerd = Process.Start(psi) ?? throw new InvalidOperationException("containerd did not start");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (_containerd.HasExited)
            {
                throw new InvalidOperationException($"containerd exited with {_containerd.ExitCode}:\n{ReadLog()}");
            }

            if (File.Exists(Socket) && (await RunAsync("ctr", ["--address", Socket, "plugins", "ls"], cancellationToken)) is (0, var plugins)
                && plugins.Split('\n').Any(l => l.Contains("io.containerd.grpc.v1", StringComparison.Ordinal) && l.Contains(" cri ", StringComparison.Ordinal) && l.TrimEnd().EndsWith("ok", StringComparison.Ordinal)))
            {
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"containerd did not serve CRI on {Socket} within 20 s:\n{ReadLog()}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Builds a one-layer image (busybox + applet links) as a docker archive and imports it with ctr into k8s.io.</summary>
    private async Task ImportAsync(string name, string[] cmd, CancellationToken cancellationToken)
    {
        var layer = BuildRootfsLayer();
        var layerDigest = Convert.ToHexStringLower(SHA256.HashData(layer));
        var configJson = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new Dictionary<string, object> { ["Env"] = new[] { "PATH=/bin" }, ["Cmd"] = cmd },
            ["rootfs"] = new Dictionary<string, object> { ["type"] = "layers", ["diff_ids"] = new[] { $"sha256:{layerDigest}" } },
        });
        var configDigest = Convert.ToHexStringLower(SHA256.HashData(configJson));
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new[]
        {
            new Dictionary<string, object> { ["Config"] = $"{configDigest}.json", ["RepoTags"] = new[] { name }, ["Layers"] = new[] { $"{layerDigest}.tar" } },
        });

        var archive = Path.Combine(Dir, $"image-{Guid.NewGuid():N}.tar");
        await using (var file = File.Create(archive))
        await using (var tar = new TarWriter(file, TarEntryFormat.Ustar))
        {
            AddFile(tar, "manifest.json", manifest, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            AddFile(tar, $"{configDigest}.json", configJson, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            AddFile(tar, $"{layerDigest}.tar", layer, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var (code, output) = await RunAsync("ctr", ["--address", Socket, "-n", "k8s.io", "images", "import", archive], cancellationToken);
        File.Delete(archive);
        if (code != 0)
        {
            throw new InvalidOperationException($"ctr images import {name} failed ({code}): {output}");
        }
    }

    private async Task WaitForImagesAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var (code, output) = await RunAsync("ctr", ["--address", Socket, "-n", "k8s.io", "images", "ls", "-q"], cancellationToken);
            if (code == 0 && output.Contains(BusyboxImage, StringComparison.Ordinal) && output.Contains(PauseImage, StringComparison.Ordinal))
            {
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException("the imported images did not show up in ctr images ls: " + output);
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private static byte[] BuildRootfsLayer()
    {
        const UnixFileMode Dir755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        using var stream = new MemoryStream();
        using (var tar = new TarWriter(stream, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var d in new[] { "bin/", "etc/", "proc/", "sys/", "dev/", "root/", "var/" })
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, d) { Mode = Dir755 });
            }

            tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, "tmp/") { Mode = Dir755 | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.StickyBit });
            AddFile(tar, "bin/busybox", File.ReadAllBytes(BusyboxPath()!), Dir755);
            foreach (var applet in new[] { "sh", "echo", "cat", "sleep", "ls", "env", "hostname", "true", "false", "id" })
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.SymbolicLink, $"bin/{applet}") { LinkName = "busybox", Mode = Dir755 });
            }
        }

        return stream.ToArray();
    }

    private static List<int> ProcessesMentioning(string text)
    {
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(dir), out var pid) && pid != Environment.ProcessId
                    && File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Contains(text, StringComparison.Ordinal))
                {
                    result.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return result;
    }

    private static void AddFile(TarWriter tar, string name, byte[] content, UnixFileMode mode) =>
        tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { Mode = mode, DataStream = new MemoryStream(content) });

    private static string? BusyboxPath() => new[] { "/bin/busybox", "/usr/bin/busybox" }.FirstOrDefault(File.Exists);

    private static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Concat(["/usr/sbin", "/usr/bin", "/sbin", "/bin"])
            .Select(d => Path.Combine(d, tool))
            .FirstOrDefault(File.Exists);

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] args, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }

        return (p.ExitCode, await stdout + await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        if (_containerd is { HasExited: false })
        {
            _containerd.Kill();
            await _containerd.WaitForExitAsync();
        }

        _containerd?.Dispose();

        // Shims (and anything they still run) outlive containerd: kill those of this instance by its socket path.
        foreach (var pid in ProcessesMentioning(Socket))
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                p.Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }

        foreach (var mountPoint in File.ReadAllLines("/proc/self/mountinfo")
            .Select(l => l.Split(' ')[4])
            .Where(m => m.StartsWith(Dir + "/", StringComparison.Ordinal))
            .Reverse()
            .ToList())
        {
            await RunAsync("umount", ["-l", mountPoint], CancellationToken.None);
        }

        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException ex)
        {
            Console.WriteLine($"cleanup: could not delete {Dir}: {ex.Message}");
        }
        catch (UnauthorizedAccessException ex)
        {
            Console.WriteLine($"cleanup: could not delete {Dir}: {ex.Message}");
        }
    }
}
