using k8s.Models;

namespace Kube.Node.Tests.Agent.Logs;

/// <summary>Container log rotation by size in a running agent, and the kubelet server reading across the rotated parts.</summary>
[TestClass]
public sealed class LogRotationTests
{
    /// <summary>The rotated parts (a "*.log.*" pattern would also match the current "0.log" in .NET).</summary>
    private static IEnumerable<string> Parts(string dir) => Directory.EnumerateFiles(dir).Where(f => Path.GetFileName(f).Contains(".log.", StringComparison.Ordinal));

    /// <summary>A part may be deleted by the rotator between listing and reading it.</summary>
    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }

    [TestMethod]
    public void Rotate_CutsWholeBlocksFromTheHead_SoAnOpenAppendingWriterLosesNothing()
    {
        var dir = TempDirs.Create("kube-node-rotate");
        try
        {
            var path = Path.Combine(dir, "0.log");
            var lines = Enumerable.Range(0, 1000).Select(i => $"line-{i}\n").ToList();
            // The container's side: one O_APPEND descriptor (as the process runtime opens it), kept open across the rotation.
            // (.NET's FileMode.Append is not O_APPEND: it writes at its own position.)
            File.WriteAllText(path, "");
            var fd = Kube.Node.Runtime.Process.LibC.Open(path, Kube.Node.Runtime.Process.LibC.O_WRONLY | Kube.Node.Runtime.Process.LibC.O_APPEND);
            Assert.IsTrue(fd >= 0);
            using var writer = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, 0);
            writer.Write(System.Text.Encoding.UTF8.GetBytes(string.Concat(lines.Take(900))));
            writer.Flush();
            var rotator = new Kube.Node.Agent.Logs.ContainerLogRotator(null!, 1000, 5, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

            var lossless = rotator.Rotate(path);
            writer.Write(System.Text.Encoding.UTF8.GetBytes(string.Concat(lines.Skip(900))));
            writer.Flush();

            if (!lossless)
            {
                Assert.Inconclusive($"the filesystem of {dir} cannot collapse ranges (ext4 and xfs can): rotation fell back to copy and truncate");
            }

            var part = Directory.EnumerateFiles(dir).Single(f => f != path);
            Assert.AreEqual(0, new FileInfo(part).Length % 4096, "the part holds whole blocks");
            Assert.AreEqual(string.Concat(lines), File.ReadAllText(part) + File.ReadAllText(path), "part + live file hold every byte once, in order, without a hole");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public async Task LogsAboveMaxSize_AreRotated_OldestPartsDropped_TailReadsAcrossParts()
    {
        await using var h = await AgentHarness.StartAsync(o =>
        {
            o.ContainerLogMaxSize = 500;
            o.ContainerLogMaxFiles = 3;
            o.ContainerLogMonitorInterval = TimeSpan.FromMilliseconds(100);
        });
        var marker = h.Marker(3766);
        // Six chunks of 100 numbered lines, each written at once (one write) when the test drops a go-<chunk> file in the pod's directory.
        const string Script = """
            n=0
            for c in 1 2 3 4 5 6; do
              while [ ! -e go-$c ]; do sleep 0.02; done
              i=0; out=""
              while [ $i -lt 100 ]; do out="${out}line-$n
            "; n=$((n+1)); i=$((i+1)); done
              printf '%s' "$out"
            done
            exec sleep "$0"
            """;
        await h.Client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "chatty", NamespaceProperty = "default" },
            Spec = new V1PodSpec { NodeName = "node-1", Containers = [new V1Container { Name = "main", Image = "busybox", Command = ["/bin/sh", "-c", Script, marker] }] },
        });
        await h.WaitPodAsync("chatty", p => p.Status?.Phase == "Running", "ran");
        var sandbox = (await h.Agent.Runtime.ListPodSandboxesAsync(CancellationToken.None)).Single(s => s.PodName == "chatty");
        var container = (await h.Agent.Runtime.ListContainersAsync(sandbox.Id, CancellationToken.None)).Single();
        var logDir = Path.GetDirectoryName(container.LogPath!)!;

        for (var chunk = 1; chunk <= 6; chunk++)
        {
            await File.WriteAllTextAsync(Path.Combine(sandbox.WorkingDirectory!, $"go-{chunk}"), "");
            var last = $"line-{chunk * 100 - 1}\n";
            // Rotated: the chunk's last line is in a part, and the current file no longer holds it.
            Assert.IsTrue(await Wait.PollAsync(() =>
                Parts(logDir).Any(f => Read(f).EndsWith(last, StringComparison.Ordinal))
                && !Read(container.LogPath!).Contains(last, StringComparison.Ordinal), AgentHarness.Deadline), $"chunk {chunk} was not rotated");
        }

        Assert.AreEqual(2, Parts(logDir).Count(), "containerLogMaxFiles 3 keeps the current file and two parts: " + string.Join(", ", Directory.EnumerateFiles(logDir)));

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{h.Agent.KubeletPort}/") };
        var tail = (await http.GetStringAsync("containerLogs/default/chatty/main?tailLines=150")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        CollectionAssert.AreEqual(Enumerable.Range(450, 150).Select(i => $"line-{i}").ToArray(), tail);
        var all = (await http.GetStringAsync("containerLogs/default/chatty/main")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        CollectionAssert.AreEqual(Enumerable.Range(400, 200).Select(i => $"line-{i}").ToArray(), all, "the oldest parts were dropped");
    }
}
