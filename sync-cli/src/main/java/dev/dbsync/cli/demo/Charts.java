package dev.dbsync.cli.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** Bar charts as PNG files (XChart), drawn without a display. */
public final class Charts {

    private Charts() {
    }

    /**
     * Writes a grouped bar chart: one group per category, one bar per series.
     *
     * @param series series name → one value per category, in category order
     */
    public static void bars(Path png, String title, String yTitle, List<String> categories,
                            Map<String, List<? extends Number>> series, boolean logarithmic) throws IOException {
        System.setProperty("java.awt.headless", "true");
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(900, 110 * categories.size())).height(560)
                .title(title).xAxisTitle("").yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setXAxisLabelRotation(categories.size() > 6 ? 30 : 0);
        chart.getStyler().setYAxisLogarithmic(logarithmic);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        Map<String, List<? extends Number>> drawn = new LinkedHashMap<>(series);
        for (Map.Entry<String, List<? extends Number>> e : drawn.entrySet()) {
            List<? extends Number> values = e.getValue();
            if (logarithmic) {
                // a log axis cannot show 0: draw it at the axis floor
                values = values.stream().map(v -> Math.max(v.doubleValue(), 0.1)).toList();
            }
            chart.addSeries(e.getKey(), categories, values);
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
