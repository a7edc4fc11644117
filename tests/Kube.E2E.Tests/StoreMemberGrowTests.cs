using System.Text.RegularExpressions;

namespace Kube.E2E.Tests;

/// <summary>
/// A store started as a single member grows to three members with <c>etcdctl member add</c> and shrinks back to one with
/// <c>member remove</c>, as a lone etcd 3.4 does (it runs as a one-voter Raft cluster): the same sequence runs against one
/// <c>kube-host store</c> and one real etcd side by side, each step must work on ours, and outputs and refusals are compared
/// line by line after ids and ports are masked.
/// </summary>
[TestClass]
public sealed partial class StoreMemberGrowTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    public TestContext TestContext { get; set; } = null!;

    private sealed record Step(string Name, bool Ok, string Output);

    [TestMethod]
    [Timeout(420_000, CooperativeCancellation = true)]
    public async Task SingleMember_GrowsToThree_AndShrinksBackToOne_AsEtcdDoes()
    {
        if (!File.Exists(StoreTestCluster.EtcdctlPath)) Assert.Inconclusive("etcdctl is needed: apt-get install -y etcd-client");
        if (!File.Exists(StoreTestCluster.EtcdPath)) Assert.Inconclusive("etcd is needed: apt-get install -y etcd-server");
        await using var ours = StoreTestCluster.Create(etcd: false, 3, "grow");
        await using var etcd = StoreTestCluster.Create(etcd: true, 3, "grow");
        var results = await Task.WhenAll(RunAsync(ours), RunAsync(etcd));
        var (mine, theirs) = (results[0], results[1]);

        var problems = mine.Where(s => !s.Ok).Select(s => $"kube-host store: {s.Name} failed:\n{s.Output}").ToList();
        foreach (var s in theirs.Where(s => !s.Ok)) TestContext.WriteLine($"etcd (reference) failed {s.Name}; not compared:\n{s.Output}");
        var etcdByName = theirs.Where(s => s.Ok).ToDictionary(s => s.Name);
        var compared = 0;
        foreach (var s in mine)
        {
            if (!etcdByName.TryGetValue(s.Name, out var e)) continue;
            compared++;
            if (s.Output != e.Output) problems.Add($"{s.Name}: output differs from etcd's\n--- etcd\n{e.Output}\n--- kube-host store\n{s.Output}");
        }
        foreach (var s in mine) TestContext.WriteLine($"{(s.Ok ? "ok  " : "FAIL")} {s.Name}\n{s.Output}");
        Assert.IsEmpty(problems, string.Join("\n\n", problems));
        Assert.IsGreaterThanOrEqualTo(8, compared, "too few outputs compared with etcd's: the reference failed most steps");
    }

    /// <summary>The grow-and-shrink sequence against <paramref name="c"/>'s members (only m1 is started as a cluster of its own).</summary>
    private static async Task<List<Step>> RunAsync(StoreTestCluster c)
    {
        var steps = new List<Step>();
        var (m1, m2, m3) = (c.Members[0], c.Members[1], c.Members[2]);
        string Mask(string text)
        {
            for (var i = 0; i < c.Members.Count; i++)
            {
                text = text.Replace(c.Members[i].ClientPort.ToString(), $"<c{i + 1}>").Replace(c.Members[i].PeerPort.ToString(), $"<p{i + 1}>");
            }
            text = HexId().Replace(text, "<id>"); // etcdctl pads an id to 16 columns with spaces: those go too
            text = InitialCluster().Replace(text, x => "ETCD_INITIAL_CLUSTER=\"" + string.Join(",", x.Groups[1].Value.Split(',').Order(StringComparer.Ordinal)) + "\"");
            return text.Replace("\r", "").Trim();
        }
        static string Errors(string stderr) => string.Join("\n", stderr.Split('\n').Where(l => l.StartsWith("Error:", StringComparison.Ordinal)));
        static string Sorted(string text) => string.Join("\n", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        void Add(string name, bool ok, string output, bool sort = false) => steps.Add(new Step(name, ok, sort ? Sorted(Mask(output)) : Mask(output)));
        Task<(int Exit, string Out, string Err)> Ctl(StoreTestCluster.Member m, params string[] args) => StoreTestCluster.Etcdctl(m.Client, args);
        async Task<string> IdOf(string name) => (await Ctl(m1, "member", "list")).Out.Split('\n')
            .Select(l => l.Split(", ")).FirstOrDefault(f => f.Length > 2 && f[2] == name)?[0] ?? "";
        async Task<bool> ReadsAsync(StoreTestCluster.Member m, string key, string value, string consistency) =>
            await UntilAsync(async () => (await Ctl(m, "get", key, "--print-value-only", $"--consistency={consistency}")).Out.Trim() == value, StepTimeout);
        async Task<string> StartedList(int count)
        {
            var last = "";
            await UntilAsync(async () =>
            {
                last = (await Ctl(m1, "member", "list")).Out;
                return last.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Contains(", started, ")) == count
                    && last.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == count;
            }, StepTimeout);
            return last;
        }
        async Task<(int Exit, string Out, string Err)> Change(params string[] args)
        {
            // etcd refuses a change until every member has been connected for a few seconds ("unhealthy cluster"): retry, bounded.
            (int Exit, string Out, string Err) r = default;
            await UntilAsync(async () => (r = await Ctl(m1, ["member", .. args])).Exit == 0, StepTimeout, TimeSpan.FromSeconds(1));
            return r;
        }
        Task<(int Exit, string Out, string Err)> AddMember(StoreTestCluster.Member m) => Change("add", m.Name, $"--peer-urls={m.PeerUrl}");

        // One member, started as its own cluster.
        c.Start(m1, $"{m1.Name}={m1.PeerUrl}", "new");
        var healthy = await UntilAsync(async () => !m1.Process!.HasExited && (await Ctl(m1, "endpoint", "health")).Exit == 0, StepTimeout);
        Add("single member healthy", healthy, healthy ? "" : m1.Process!.Stdout + m1.Process.Stderr);
        if (!healthy) return steps;
        var put = await Ctl(m1, "put", "/grow/k", "v1");
        Add("put on the single member", put.Out.Trim() == "OK", put.Out + Errors(put.Err));
        var list1 = await Ctl(m1, "member", "list");
        Add("member list (one member)", list1.Exit == 0 && list1.Out.Contains(", started, m1, "), list1.Out);

        // Refusals on a single member.
        var removeSelf = await Ctl(m1, "member", "remove", await IdOf("m1"));
        Add("member remove of the only member (refused)", removeSelf.Exit != 0, Errors(removeSelf.Err));
        var removeUnknown = await Ctl(m1, "member", "remove", "1234");
        Add("member remove of an unknown id (refused)", removeUnknown.Exit != 0, Errors(removeUnknown.Err));

        // Grow to two: the new voter is unstarted until it starts with --initial-cluster-state existing.
        var add2 = await AddMember(m2);
        Add("member add m2", add2.Exit == 0 && add2.Out.Contains("ETCD_INITIAL_CLUSTER_STATE=\"existing\""), add2.Out + Errors(add2.Err));
        var unstarted = await Ctl(m1, "member", "list");
        Add("member list (m2 unstarted)", unstarted.Out.Contains(", unstarted, , "), unstarted.Out, sort: true);
        c.Start(m2, $"{m1.Name}={m1.PeerUrl},{m2.Name}={m2.PeerUrl}", "existing");
        Add("m2 serves the key (serializable)", await ReadsAsync(m2, "/grow/k", "v1", "s"), "");
        Add("m2 serves the key (linearizable)", await ReadsAsync(m2, "/grow/k", "v1", "l"), "");

        // Grow to three.
        var add3 = await AddMember(m3);
        Add("member add m3", add3.Exit == 0, add3.Out + Errors(add3.Err));
        c.Start(m3, $"{m1.Name}={m1.PeerUrl},{m2.Name}={m2.PeerUrl},{m3.Name}={m3.PeerUrl}", "existing");
        Add("m3 serves the key (linearizable)", await ReadsAsync(m3, "/grow/k", "v1", "l"), "");
        Add("member list (three started)", true, await StartedList(3), sort: true);
        var put3 = await Ctl(m3, "put", "/grow/k3", "three");
        Add("put through m3, read on m1", put3.Out.Trim() == "OK" && await ReadsAsync(m1, "/grow/k3", "three", "l"), put3.Out + Errors(put3.Err));

        // Shrink back: the removed member stops; the others keep serving, down to one voter again.
        var remove2 = await Change("remove", await IdOf("m2"));
        Add("member remove m2", remove2.Exit == 0, remove2.Out + Errors(remove2.Err));
        var stopped = await UntilAsync(() => m2.Process!.HasExited, StepTimeout);
        Add("removed m2 stops", stopped, "");
        var put2 = await Ctl(m1, "put", "/grow/k2", "two");
        Add("put after removing m2, read on m3", put2.Out.Trim() == "OK" && await ReadsAsync(m3, "/grow/k2", "two", "l"), put2.Out + Errors(put2.Err));
        Add("member list (two started)", true, await StartedList(2), sort: true);
        var remove3 = await Change("remove", await IdOf("m3"));
        Add("member remove m3", remove3.Exit == 0, remove3.Out + Errors(remove3.Err));
        var alone = await Ctl(m1, "put", "/grow/k4", "four");
        Add("put on the member left alone", alone.Out.Trim() == "OK", alone.Out + Errors(alone.Err));
        var list4 = await Ctl(m1, "member", "list");
        Add("member list (one member again)", list4.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 1, list4.Out);
        return steps;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes (bounded; no fixed sleep).</summary>
    private static async Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition()) return true;
            if (DateTime.UtcNow >= deadline) return false;
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(200));
        }
    }

    private static Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout) => UntilAsync(() => Task.FromResult(condition()), timeout);

    [GeneratedRegex(@"(?<= ) *\b[0-9a-f]{10,16}\b|\b[0-9a-f]{10,16}\b")]
    private static partial Regex HexId();

    [GeneratedRegex("ETCD_INITIAL_CLUSTER=\"([^\"]*)\"")]
    private static partial Regex InitialCluster();
}
