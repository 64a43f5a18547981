import './theme.css';
import './base.css';
import './sidebar.css';
import './review.css';
import './notebook.css';
import './sessions.css';
