// Initialise all GOV.UK Frontend components on the page.
// Loaded with <script type="module" src="{% static 'app/init.js' %}"></script>.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
