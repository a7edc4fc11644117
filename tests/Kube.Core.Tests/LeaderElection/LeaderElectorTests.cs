using k8s.Models;
using Kube.Core.LeaderElection;
using Kube.Core.Tests.Testing;
using Microsoft.Extensions.Time.Testing;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Kube.Core.Tests.LeaderElection;

[TestClass]
public sealed class LeaderElectorTests
{
    private static LeaderElectionOptions Options(string id) => new() { LeaseName = "ctrl", LeaseNamespace = "kube-system", Identity = id };

    [TestMethod]
    public async Task TwoCandidates_OnlyOneHoldsTheLease_OtherTakesOverOnlyAfterExpiry()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var client = new InMemoryKubeClient();
        var a = new LeaderElector(client, Options("a"), time);
        var b = new LeaderElector(client, Options("b"), time);

        Assert.IsTrue(await a.TryAcquireOrRenewAsync(CancellationToken.None), "a creates the lease");
        Assert.IsFalse(await b.TryAcquireOrRenewAsync(CancellationToken.None));
        Assert.AreEqual("a", b.CurrentLeader);
        var lease = await client.GetAsync<V1Lease>("ctrl", "kube-system");
        Assert.AreEqual("a", lease.Spec.HolderIdentity);
        Assert.AreEqual(15, lease.Spec.LeaseDurationSeconds);
        Assert.AreEqual(0, lease.Spec.LeaseTransitions);
        Assert.AreEqual(time.GetUtcNow().UtcDateTime, lease.Spec.AcquireTime);

        // a renews: b sees the lease change and keeps waiting
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.IsTrue(await a.TryAcquireOrRenewAsync(CancellationToken.None));
        Assert.IsFalse(await b.TryAcquireOrRenewAsync(CancellationToken.None));

        // a stops renewing; b takes over only once 15 s passed since it last saw a change
        time.Advance(TimeSpan.FromSeconds(14));
        Assert.IsFalse(await b.TryAcquireOrRenewAsync(CancellationToken.None), "not expired at 14 s");
        time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.IsTrue(await b.TryAcquireOrRenewAsync(CancellationToken.None), "expired after 15 s");
        Assert.IsTrue(b.IsLeader);

        lease = await client.GetAsync<V1Lease>("ctrl", "kube-system");
        Assert.AreEqual("b", lease.Spec.HolderIdentity);
        Assert.AreEqual(1, lease.Spec.LeaseTransitions);
        Assert.AreEqual(time.GetUtcNow().UtcDateTime, lease.Spec.AcquireTime);
        Assert.IsFalse(await a.TryAcquireOrRenewAsync(CancellationToken.None), "a now sees b");
        Assert.IsFalse(a.IsLeader);
    }

    [TestMethod]
    public async Task RacingWrites_OnlyOneWins_ThroughResourceVersion()
    {
        var time = new FakeTimeProvider();
        var client = new InMemoryKubeClient();
        var candidates = Enumerable.Range(0, 5).Select(i => new LeaderElector(client, Options("c" + i), time)).ToArray();
        var results = await Task.WhenAll(candidates.Select(c => Task.Run(() => c.TryAcquireOrRenewAsync(CancellationToken.None))));
        Assert.AreEqual(1, results.Count(r => r), "exactly one candidate acquires");
        var lease = await client.GetAsync<V1Lease>("ctrl", "kube-system");
        Assert.AreEqual(candidates[Array.IndexOf(results, true)].Options.Identity, lease.Spec.HolderIdentity);
    }

    [TestMethod]
    public async Task RunAsync_LeaderRenews_FollowerWaits_AndTakesOverAfterCrash()
    {
        var time = new CountingTimeProvider();
        var client = new InMemoryKubeClient();
        var aStarted = new TaskCompletionSource();
        var aStopped = 0;
        var bStarted = new TaskCompletionSource();
        CancellationToken aLeadingToken = default;
        var newLeaders = new List<string>();
        var a = new LeaderElector(client, Options("a") with
        {
            ReleaseOnCancel = false, // a "crash": the lease is left behind
            OnStartedLeading = ct => { aLeadingToken = ct; aStarted.TrySetResult(); return Task.CompletedTask; },
            OnStoppedLeading = () => Interlocked.Increment(ref aStopped),
        }, time, random: new Random(1));
        var b = new LeaderElector(client, Options("b") with
        {
            OnStartedLeading = _ => { bStarted.TrySetResult(); return Task.CompletedTask; },
            OnNewLeader = l => { lock (newLeaders) newLeaders.Add(l); },
        }, time, random: new Random(2));

        using var aCts = new CancellationTokenSource();
        using var bCts = new CancellationTokenSource();
        var aRun = a.RunAsync(aCts.Token);
        await aStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var bRun = b.RunAsync(bCts.Token);

        // 30 virtual seconds with a renewing: b never leads
        await Eventually.TrueAsync(() => time.Created >= 2, "both loops parked");
        await time.AdvanceInStepsAsync(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500), () => false);
        Assert.IsFalse(bStarted.Task.IsCompleted);
        Assert.IsTrue(a.IsLeader);
        Assert.AreEqual("a", (await client.GetAsync<V1Lease>("ctrl", "kube-system")).Spec.HolderIdentity);

        await aCts.CancelAsync();
        await aRun.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.AreEqual(1, aStopped);
        Assert.IsTrue(aLeadingToken.IsCancellationRequested, "the leading token is cancelled when leadership ends");
        Assert.AreEqual("a", (await client.GetAsync<V1Lease>("ctrl", "kube-system")).Spec.HolderIdentity, "not released");

        var crashedAt = time.GetUtcNow();
        await time.AdvanceInStepsAsync(TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500), () => b.IsLeader);
        Assert.IsTrue(b.IsLeader, "b takes over");
        await bStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsTrue(time.GetUtcNow() - crashedAt >= TimeSpan.FromSeconds(14), "not before the lease could have expired");
        var lease = await client.GetAsync<V1Lease>("ctrl", "kube-system");
        Assert.AreEqual("b", lease.Spec.HolderIdentity);
        Assert.AreEqual(1, lease.Spec.LeaseTransitions);
        lock (newLeaders) CollectionAssert.AreEqual(new[] { "a", "b" }, newLeaders);

        await bCts.CancelAsync();
        await bRun.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsTrue(string.IsNullOrEmpty((await client.GetAsync<V1Lease>("ctrl", "kube-system")).Spec.HolderIdentity), "b released on cancel");
    }

    [TestMethod]
    public async Task Leader_StopsLeading_WhenRenewalsFailForTheRenewDeadline()
    {
        var time = new CountingTimeProvider();
        var client = new InMemoryKubeClient();
        var started = new TaskCompletionSource();
        var stopped = new TaskCompletionSource();
        var a = new LeaderElector(client, Options("a") with
        {
            OnStartedLeading = _ => { started.TrySetResult(); return Task.CompletedTask; },
            OnStoppedLeading = () => stopped.TrySetResult(),
        }, time);
        using var cts = new CancellationTokenSource();
        var run = a.RunAsync(cts.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // someone else grabs the lease behind a's back; a's renewals now fail
        var lease = await client.GetAsync<V1Lease>("ctrl", "kube-system");
        lease.Spec.HolderIdentity = "intruder";
        lease.Spec.RenewTime = time.GetUtcNow().UtcDateTime;
        await client.UpdateAsync(lease);

        var from = time.GetUtcNow();
        await Eventually.TrueAsync(() => time.Created >= 1, "renew loop parked");
        await time.AdvanceInStepsAsync(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500), () => stopped.Task.IsCompleted);
        Assert.IsTrue(stopped.Task.IsCompleted, "a gives up leadership");
        Assert.IsTrue(time.GetUtcNow() - from >= TimeSpan.FromSeconds(10), "only after the renew deadline");
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.IsFalse(a.IsLeader);
    }

    [TestMethod]
    public void Options_AreValidated()
    {
        var client = new InMemoryKubeClient();
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LeaderElector(client, Options("a") with { RenewDeadline = TimeSpan.FromSeconds(20) }));
        Assert.ThrowsExactly<ArgumentException>(() => new LeaderElector(client, Options("")));
    }
}
