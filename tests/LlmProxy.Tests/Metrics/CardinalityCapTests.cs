using LlmProxy.Metrics;

namespace LlmProxy.Tests.Metrics;

/// <summary>Model names come from clients: the number of model series must stay bounded whatever they send.</summary>
public class CardinalityCapTests
{
    [Fact]
    public void The_first_values_are_kept_and_every_later_new_value_folds_into_other()
    {
        var cap = new LabelValueCap(maxValues: 3, maxLength: 10);
        Assert.Equal("a", cap.Apply("a"));
        Assert.Equal("b", cap.Apply("b"));
        Assert.Equal("c", cap.Apply("c"));
        Assert.Equal(LabelValueCap.Other, cap.Apply("d"));
        Assert.Equal("a", cap.Apply("a")); // a kept value stays itself after the cap is reached
        Assert.Equal(3, cap.KeptCount);
    }

    [Fact]
    public void Values_longer_than_the_length_cap_fold_into_other_without_using_a_slot()
    {
        var cap = new LabelValueCap(maxValues: 2, maxLength: 5);
        Assert.Equal(LabelValueCap.Other, cap.Apply("123456"));
        Assert.Equal(0, cap.KeptCount);
        Assert.Equal("12345", cap.Apply("12345"));
    }

    [Fact]
    public void Ten_thousand_random_model_names_give_at_most_the_cap_plus_other_in_the_scrape()
    {
        var registry = new MetricsRegistry();
        var metrics = new LlmMetrics(registry);
        for (var i = 0; i < 10_000; i++)
        {
            var model = metrics.For("stub", "model-" + Guid.NewGuid().ToString("N"));
            model.RequestCompleted(200, 0.01);
            model.Tokens(3, 4);
            model.FirstToken(0.001);
            model.UpstreamError(UpstreamErrorKind.Timeout);
        }
        metrics.For("stub", new string('x', 10_000)).RequestCompleted(200, 0.01);

        var modelLabels = Scrape.Of(registry).Split('\n')
            .Where(l => l.StartsWith("llm_requests_total{", StringComparison.Ordinal))
            .Select(l => l.Split("model=\"")[1].Split('"')[0])
            .ToList();
        Assert.Equal(LlmMetrics.MaxModelLabels + 1, modelLabels.Count);
        Assert.Equal(LlmMetrics.MaxModelLabels, metrics.KeptModelCount);
        Assert.Contains(LabelValueCap.Other, modelLabels);
        Assert.DoesNotContain(modelLabels, l => l.Length > LlmMetrics.MaxModelLabelLength);
        // Everything past the cap was still counted, under "other": nothing is lost, only its name.
        Assert.Contains($"llm_requests_total{{provider=\"stub\",model=\"other\",status=\"200\"}} {10_000 - LlmMetrics.MaxModelLabels + 1}\n",
            Scrape.Of(registry), StringComparison.Ordinal);
        Assert.Contains($"llm_prompt_tokens_total{{provider=\"stub\",model=\"other\"}} {3 * (10_000 - LlmMetrics.MaxModelLabels)}\n",
            Scrape.Of(registry), StringComparison.Ordinal);
    }

    [Fact]
    public void The_http_labels_are_bounded_too()
    {
        Assert.Equal("GET", HttpMethodLabels.For("get"));
        Assert.Equal("PATCH", HttpMethodLabels.For("PATCH"));
        Assert.Equal(HttpMethodLabels.Other, HttpMethodLabels.For("BREW"));
        Assert.Equal("404", StatusCodeLabels.For(404));
        Assert.Same(StatusCodeLabels.For(404), StatusCodeLabels.For(404));
        Assert.Equal("other", StatusCodeLabels.For(999));
    }
}
